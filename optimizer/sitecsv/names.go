package sitecsv

import (
	"strings"
	"unicode"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// accentFold maps accented Latin letters to their ASCII base letters
// (Latin-1 Supplement and Latin Extended-A, which cover the names on the
// sites). Lower-case only: NormalizeName lower-cases first.
var accentFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'ĉ': "c", 'ċ': "c", 'č': "c", 'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ĕ': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ĝ': "g", 'ğ': "g", 'ġ': "g", 'ģ': "g", 'ĥ': "h", 'ħ': "h",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ĩ': "i", 'ī': "i", 'ĭ': "i", 'į': "i", 'ı': "i",
	'ĵ': "j", 'ķ': "k", 'ĺ': "l", 'ļ': "l", 'ľ': "l", 'ŀ': "l", 'ł': "l",
	'ñ': "n", 'ń': "n", 'ņ': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ŏ': "o", 'ő': "o", 'œ': "oe",
	'ŕ': "r", 'ŗ': "r", 'ř': "r", 'ś': "s", 'ŝ': "s", 'ş': "s", 'š': "s", 'ß': "ss",
	'ţ': "t", 'ť': "t", 'ŧ': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'ŵ': "w", 'ý': "y", 'ÿ': "y", 'ŷ': "y", 'ź': "z", 'ż': "z", 'ž': "z",
}

// nameSuffixes are generational suffixes dropped from names.
var nameSuffixes = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true, "v": true}

// NormalizeName returns the key under which two spellings of one player's
// name compare equal: lower case, accents folded to ASCII, punctuation
// dropped ("D.J." and "DJ", "Ja'Marr" and "JaMarr"), hyphens as spaces,
// runs of single letters joined ("D J Moore" → "dj moore"), and generational
// suffixes (Jr., Sr., II, III, IV, V) removed.
func NormalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case r == '-' || r == '_' || r == '/' || unicode.IsSpace(r) || r == ',':
			b.WriteByte(' ')
		case r == '.':
			// "A.J." → "aj", "St.Brown" → "st brown" handled by the letter run rule.
			b.WriteByte('.')
		default:
			if f, ok := accentFold[r]; ok {
				b.WriteString(f)
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
			// other punctuation (apostrophes, quotes, parentheses) is dropped
		}
	}
	// Split on spaces; inside a token, dots separate initials ("a.j") and are
	// removed ("st." → "st").
	raw := strings.Fields(b.String())
	toks := make([]string, 0, len(raw))
	for _, t := range raw {
		t = strings.ReplaceAll(t, ".", "")
		if t != "" {
			toks = append(toks, t)
		}
	}
	// Join runs of single-letter tokens ("d j moore" → "dj moore"), then
	// drop trailing suffixes, keeping at least two tokens (in this order, so
	// that normalising twice changes nothing).
	out := toks[:0]
	for _, t := range toks {
		if len(t) == 1 && len(out) > 0 && len(out[len(out)-1]) == 1 {
			out[len(out)-1] += t
			continue
		}
		out = append(out, t)
	}
	for len(out) > 2 && nameSuffixes[out[len(out)-1]] {
		out = out[:len(out)-1]
	}
	return strings.Join(out, " ")
}

// firstNameAliases maps common short and long first names to one form. It
// is applied, to both sides, only in the second matching pass.
var firstNameAliases = map[string]string{
	"mitchell": "mitch", "gabriel": "gabe", "kenneth": "ken", "joshua": "josh", "matthew": "matt",
	"michael": "mike", "christopher": "chris", "nicholas": "nick", "nic": "nick", "daniel": "dan",
	"danny": "dan", "robert": "rob", "robbie": "rob", "bobby": "rob", "william": "will", "willie": "will",
	"benjamin": "ben", "jonathan": "jon", "john": "jon", "johnny": "jon", "anthony": "tony",
	"samuel": "sam", "jacob": "jake", "joseph": "joe", "joey": "joe", "thomas": "tom", "tommy": "tom",
	"zachary": "zach", "zack": "zach", "jeffrey": "jeff", "patrick": "pat", "andrew": "drew",
	"alexander": "alex", "timothy": "tim", "steven": "steve", "stephen": "steve", "edward": "ed",
	"eddie": "ed", "ronald": "ron", "ronnie": "ron", "gregory": "greg", "richard": "rich",
	"ricky": "rich", "rick": "rich", "cameron": "cam", "nathaniel": "nate", "nathan": "nate",
	"jeffery": "jeff", "kenny": "ken", "chigoziem": "chig", "hollywood": "marquise",
	"moe": "mohamed", "mo": "mohamed", "scotty": "scott",
}

// playerAliases maps full normalised names of players known under two
// names (legal name changes, nicknames the sites do not use) to one form.
var playerAliases = map[string]string{
	"robbie chosen": "robby anderson", "robbie anderson": "robby anderson",
	"bisi johnson": "olabisi johnson", "hollywood brown": "marquise brown",
	"scotty miller": "scott miller", "chig okonkwo": "chigoziem okonkwo",
	"gabe davis": "gabriel davis", "ken walker": "kenneth walker",
	"mitch trubisky": "mitchell trubisky", "eli mitchell": "elijah mitchell",
	"josh palmer": "joshua palmer", "nic claxton": "nicolas claxton",
	"herb jones": "herbert jones",
}

// aliasName maps a normalised name through playerAliases, then
// firstNameAliases on its first token.
func aliasName(norm string) string {
	if a, ok := playerAliases[norm]; ok {
		norm = a
	}
	first, rest, ok := strings.Cut(norm, " ")
	if !ok {
		return norm
	}
	if a, found := firstNameAliases[first]; found {
		return a + " " + rest
	}
	return norm
}

// teamAliases maps alternative team codes to the code DraftKings uses, per
// sport (codes clash across sports: "LA" is the Rams in NFL files and the
// Kings in NHL ones).
var teamAliases = map[slate.Sport]map[string]string{
	slate.NFL: {
		"JAC": "JAX", "WSH": "WAS", "LA": "LAR", "STL": "LAR", "OAK": "LV", "LVR": "LV", "SD": "LAC",
		"ARZ": "ARI", "KCC": "KC", "NOS": "NO", "NOR": "NO", "SFO": "SF", "TAM": "TB", "TBB": "TB",
		"GNB": "GB", "GBP": "GB", "NWE": "NE", "NEP": "NE", "HST": "HOU", "BLT": "BAL", "CLV": "CLE",
	},
	slate.NBA: {
		"GSW": "GS", "NOP": "NO", "NOR": "NO", "NYK": "NY", "SAS": "SA", "PHO": "PHX", "BRK": "BKN",
		"BK": "BKN", "UTAH": "UTA", "UTH": "UTA", "WSH": "WAS", "CHO": "CHA", "CHH": "CHA",
	},
	slate.MLB: {
		"CHW": "CWS", "KCR": "KC", "SDP": "SD", "SFG": "SF", "TBR": "TB", "WSH": "WAS", "WSN": "WAS",
		"LOS": "LAD", "ANA": "LAA", "AZ": "ARI", "OAK": "ATH", "FLA": "MIA", "CHN": "CHC", "CHA": "CWS",
		"NYA": "NYY", "NYN": "NYM", "SLN": "STL", "LAN": "LAD",
	},
	slate.NHL: {
		"LAK": "LA", "NJD": "NJ", "SJS": "SJ", "TBL": "TB", "MON": "MTL", "CLS": "CBJ", "NAS": "NSH",
		"WIN": "WPG", "VEG": "VGK", "VGS": "VGK", "ARZ": "ARI", "UTAH": "UTA", "ANA": "ANH", "WSH": "WAS",
	},
}

// NormalizeTeam returns the canonical code of a team for a sport (upper
// case, aliases such as JAC/JAX, WAS/WSH, LA/LAR resolved). With an empty
// sport only the case and spacing are normalised.
func NormalizeTeam(sport slate.Sport, code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if a, ok := teamAliases[sport][c]; ok {
		return a
	}
	return c
}

// nflTeams lists, per DraftKings code, the names a defense goes by:
// nickname(s) and city/region, old names included.
var nflTeams = map[string][]string{
	"ARI": {"cardinals", "arizona"}, "ATL": {"falcons", "atlanta"}, "BAL": {"ravens", "baltimore"},
	"BUF": {"bills", "buffalo"}, "CAR": {"panthers", "carolina"}, "CHI": {"bears", "chicago"},
	"CIN": {"bengals", "cincinnati"}, "CLE": {"browns", "cleveland"}, "DAL": {"cowboys", "dallas"},
	"DEN": {"broncos", "denver"}, "DET": {"lions", "detroit"}, "GB": {"packers", "green bay"},
	"HOU": {"texans", "houston"}, "IND": {"colts", "indianapolis"}, "JAX": {"jaguars", "jacksonville", "jags"},
	"KC": {"chiefs", "kansas city"}, "LAC": {"chargers", "los angeles chargers", "san diego chargers", "san diego"},
	"LAR": {"rams", "los angeles rams", "st louis rams"}, "LV": {"raiders", "las vegas", "oakland", "oakland raiders"},
	"MIA": {"dolphins", "miami"}, "MIN": {"vikings", "minnesota"}, "NE": {"patriots", "new england", "pats"},
	"NO": {"saints", "new orleans"}, "NYG": {"giants", "new york giants", "ny giants"},
	"NYJ": {"jets", "new york jets", "ny jets"}, "PHI": {"eagles", "philadelphia"},
	"PIT": {"steelers", "pittsburgh"}, "SEA": {"seahawks", "seattle"}, "SF": {"49ers", "niners", "san francisco"},
	"TB": {"buccaneers", "bucs", "tampa bay"}, "TEN": {"titans", "tennessee"},
	"WAS": {"commanders", "redskins", "football team", "washington", "washington football team"},
}

// dstWords are the words that mark a team defense in a name.
var dstWords = map[string]bool{"dst": true, "d st": true, "def": true, "defense": true, "d": true, "st": true, "defence": true}

// NFLDefenseTeam resolves a defense's name as projection sources write it
// ("Ravens", "Baltimore Ravens", "BAL DST", "Ravens D/ST", "Baltimore") to
// the DraftKings team code. It returns "" when the name names no team or an
// ambiguous one ("New York").
func NFLDefenseTeam(name string) string {
	norm := NormalizeName(name)
	toks := strings.Fields(norm)
	keep := toks[:0]
	for _, t := range toks {
		if !dstWords[t] {
			keep = append(keep, t)
		}
	}
	rest := strings.Join(keep, " ")
	if rest == "" {
		return ""
	}
	if code := NormalizeTeam(slate.NFL, rest); nflTeams[code] != nil {
		return code
	}
	var found string
	for code, names := range nflTeams {
		for _, a := range names {
			hit := rest == a
			for _, b := range names {
				hit = hit || rest == a+" "+b
			}
			if hit {
				if found != "" && found != code {
					return ""
				}
				found = code
			}
		}
	}
	return found
}

// isDefensePosition reports positions that denote an NFL team defense.
func isDefensePosition(p string) bool {
	switch strings.ToUpper(strings.TrimSpace(p)) {
	case "DST", "DEF", "D", "D/ST", "DEFENSE":
		return true
	}
	return false
}
