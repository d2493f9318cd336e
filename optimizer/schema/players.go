package schema

import (
	"encoding"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// A document's player list is most of its bytes (a slate of 200 to 700
// players) and, read by the library's reflection, most of the time the
// gateway spends on a submission. unmarshalStrict reads it with a scanner
// written for slate.Player's members and leaves the rest of the document
// to the library; on anything the scanner does not know it leaves the
// whole document to the library. So the scanner reads the common, valid
// document faster but never decides what is refused, or how a refusal
// reads. FuzzPlayerScanner checks that every document decodes, or is
// refused, exactly as the library alone decodes or refuses it.

// strictOptions are the library options of every document decode: unknown
// members refused.
var strictOptions = json.RejectUnknownMembers(true)

// unmarshalStrict decodes b into v with the library, unknown members
// refused; a player list that is a member of the top-level object is read
// by the scanner when it can (see scanDecode). Errors are the library's.
func unmarshalStrict(b []byte, v any) error {
	_, err := unmarshalMembers(b, v)
	return err
}

// unmarshalSpread decodes b into v as unmarshalStrict does, v being a
// document with the player list *players and the list *defaults of the
// players whose spread is the sport's default; it adds to *defaults the
// players whose object gives no spread (no "stddev", and not both "floor"
// and "ceiling"), in list order, each once.
func unmarshalSpread(b []byte, v any, players *[]slate.Player, defaults *[]string) error {
	members, err := unmarshalMembers(b, v)
	if err != nil {
		return err
	}
	*defaults = missingStdDev(b, *players, members, *defaults)
	return nil
}

// unmarshalMembers is unmarshalStrict, also returning the members each
// player object has when the scanner read the list (nil otherwise).
func unmarshalMembers(b []byte, v any) ([]uint32, error) {
	if members, ok := scanDecode(b, v); ok {
		return members, nil
	}
	return nil, json.Unmarshal(b, v, strictOptions)
}

// scanDecode decodes b into v when v is a pointer to a struct with a
// "players" member of type []slate.Player, b's top-level object has that
// member, and the scanner reads its list: the library then decodes the
// rest, b with the list replaced by [], and the list read is set; it
// returns the members each player object has (bits member*). False, v
// left zero, in every other case and whenever the library refuses the
// rest.
//
// Why the two decodes make one: the scanner checks the list's syntax as
// the library would (a well-formed array, strings valid UTF-8 without
// control characters, numbers of JSON's grammar, no member twice) and
// reads only values the library would read the same way. The library
// accepts the rest only if it is well-formed, so its bytes up to the list
// are a well-formed JSON prefix, where finding the top-level member
// "players" cannot go wrong. So the library accepts b exactly when it
// accepts the rest, and reads the same value but for the list.
func scanDecode(b []byte, v any) (members []uint32, ok bool) {
	field := playersField(v)
	if field == nil {
		return nil, false
	}
	start, list, ok := findPlayers(b)
	if !ok {
		return nil, false
	}
	rest := make([]byte, 0, len(b)-list.size+2)
	rest = append(append(append(rest, b[:start]...), "[]"...), b[start+list.size:]...)
	if json.Unmarshal(rest, v, strictOptions) != nil {
		reflect.ValueOf(v).Elem().SetZero()
		return nil, false
	}
	*field = list.players
	return list.members, true
}

var playersType = reflect.TypeFor[[]slate.Player]()

// playersField returns the player list of the document v points to: its
// field of type []slate.Player named "players" in JSON, with no option but
// omitempty or omitzero. Nil when there is none, or when the document
// decodes itself (UnmarshalJSON and the like: the library hands such a
// document its bytes whole).
func playersField(v any) *[]slate.Player {
	switch v.(type) {
	case json.Unmarshaler, json.UnmarshalerFrom, encoding.TextUnmarshaler:
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil
	}
	rv = rv.Elem()
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if f.Type != playersType || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "players" && (opts == "" || opts == "omitempty" || opts == "omitzero") {
			return rv.Field(i).Addr().Interface().(*[]slate.Player)
		}
	}
	return nil
}

// findPlayers finds the member "players" of b's top-level object (its name
// written without escapes) and reads its value, which starts at b[start],
// as a player list. False when there is none, or the scanner cannot read it. The
// members before it are stepped over, not checked: the library checks
// them.
func findPlayers(b []byte) (start int, list playerList, ok bool) {
	s := playerScanner{src: b}
	if s.space() != '{' {
		return 0, list, false
	}
	s.pos++
	for s.space() == '"' {
		nameStart := s.pos
		if !s.stepOverString() {
			return 0, list, false
		}
		name := b[nameStart+1 : s.pos-1]
		if s.space() != ':' {
			return 0, list, false
		}
		s.pos++
		if s.space() == 0 {
			return 0, list, false
		}
		if string(name) == "players" {
			list, ok := parsePlayers(b[s.pos:])
			return s.pos, list, ok
		}
		if !s.stepOverValue() || s.space() != ',' {
			return 0, list, false
		}
		s.pos++
	}
	return 0, list, false
}

// playerList is a player list the scanner read.
type playerList struct {
	players []slate.Player
	members []uint32 // the members each player's object has (bits member*)
	size    int      // the list's length in bytes
}

// parsePlayers reads the JSON array at the start of raw as a player
// list. False when the array is not well-formed JSON or holds anything
// the scanner leaves to the library: a member slate.Player lacks (or
// spelled with an escape), an escaped string, null, a value of another
// type than its member's, a number out of range or not an integer where
// one is due. The strings share one copy of raw.
func parsePlayers(raw []byte) (playerList, bool) {
	s := playerScanner{src: raw, str: string(raw)}
	if len(raw) == 0 || raw[0] != '[' {
		return playerList{}, false
	}
	s.pos++
	// About 150 bytes per player in real slates: enough to rarely grow.
	n := len(raw)/120 + 1
	list := playerList{players: make([]slate.Player, 0, n), members: make([]uint32, 0, n)}
	if s.space() == ']' {
		list.size = s.pos + 1
		return list, true
	}
	for {
		list.players = append(list.players, slate.Player{})
		members, ok := s.player(&list.players[len(list.players)-1])
		if !ok {
			return playerList{}, false
		}
		list.members = append(list.members, members)
		switch s.space() {
		case ',':
			s.pos++
			s.space()
		case ']':
			list.size = s.pos + 1
			return list, true
		default:
			return playerList{}, false
		}
	}
}

// playerScanner reads JSON from src; str is src as one string (when
// reading players), which the strings read are cut from.
type playerScanner struct {
	src       []byte
	str       string
	pos       int
	positions []string // backing for the players' position lists
}

// space moves past white space and returns the next byte (0 at the end).
func (s *playerScanner) space() byte {
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// Bits of the members of slate.Player a player object has set.
const (
	memberID = 1 << iota
	memberName
	memberPositions
	memberTeam
	memberOpponent
	memberGame
	memberSalary
	memberProjection
	memberStdDev
	memberFloor
	memberCeiling
	memberOwnership
	memberStatus
	memberCaptainID
	memberCaptainSalary
	memberGameStarted
)

// player reads one object into p and returns the members it has.
func (s *playerScanner) player(p *slate.Player) (uint32, bool) {
	if s.pos >= len(s.src) || s.src[s.pos] != '{' {
		return 0, false
	}
	s.pos++
	if s.space() == '}' {
		s.pos++
		return 0, true
	}
	var seen uint32
	for {
		name, ok := s.string()
		if !ok || s.space() != ':' {
			return 0, false
		}
		s.pos++
		s.space()
		bit := s.member(p, name)
		if bit == 0 || seen&bit != 0 {
			return 0, false // unknown, unreadable, or there twice
		}
		seen |= bit
		switch s.space() {
		case ',':
			s.pos++
			s.space()
		case '}':
			s.pos++
			return seen, true
		default:
			return 0, false
		}
	}
}

// member reads the value of p's member name and returns the member's bit;
// 0 when it cannot.
func (s *playerScanner) member(p *slate.Player, name string) uint32 {
	var ok bool
	var bit uint32
	switch name {
	case "id":
		p.ID, ok = s.string()
		bit = memberID
	case "name":
		p.Name, ok = s.string()
		bit = memberName
	case "positions":
		p.Positions, ok = s.strings()
		bit = memberPositions
	case "team":
		p.Team, ok = s.string()
		bit = memberTeam
	case "opponent":
		p.Opponent, ok = s.string()
		bit = memberOpponent
	case "game":
		p.Game, ok = s.string()
		bit = memberGame
	case "salary":
		p.Salary, ok = s.int()
		bit = memberSalary
	case "projection":
		p.Projection, ok = s.float()
		bit = memberProjection
	case "stddev":
		p.StdDev, ok = s.float()
		bit = memberStdDev
	case "floor":
		p.Floor, ok = s.floatPointer()
		bit = memberFloor
	case "ceiling":
		p.Ceiling, ok = s.floatPointer()
		bit = memberCeiling
	case "ownership":
		p.Ownership, ok = s.float()
		bit = memberOwnership
	case "status":
		p.Status, ok = s.string()
		bit = memberStatus
	case "captain_id":
		p.CaptainID, ok = s.string()
		bit = memberCaptainID
	case "captain_salary":
		p.CaptainSalary, ok = s.int()
		bit = memberCaptainSalary
	case "game_started":
		p.GameStarted, ok = s.bool()
		bit = memberGameStarted
	}
	if !ok {
		return 0
	}
	return bit
}

// special marks the bytes string stops at: the quote, the escape,
// control characters (not allowed in a JSON string) and the bytes of
// non-ASCII characters (whose UTF-8 it checks).
var special = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf
	}
	return t
}()

// string reads a string without escapes or control characters, in valid
// UTF-8.
func (s *playerScanner) string() (string, bool) {
	if s.pos >= len(s.src) || s.src[s.pos] != '"' {
		return "", false
	}
	start := s.pos + 1
	ascii := true
	for i := start; i < len(s.src); i++ {
		c := s.src[i]
		if !special[c] {
			continue
		}
		switch {
		case c == '"':
			v := s.str[start:i]
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			s.pos = i + 1
			return v, true
		case c >= utf8.RuneSelf:
			ascii = false
		default: // an escape or a control character
			return "", false
		}
	}
	return "", false
}

// strings reads an array of strings; an empty one is empty, not nil, as
// the library reads it.
func (s *playerScanner) strings() ([]string, bool) {
	if s.pos >= len(s.src) || s.src[s.pos] != '[' {
		return nil, false
	}
	s.pos++
	first := len(s.positions)
	if s.space() != ']' {
		for {
			v, ok := s.string()
			if !ok {
				return nil, false
			}
			s.positions = append(s.positions, v)
			c := s.space()
			if c == ']' {
				break
			}
			if c != ',' {
				return nil, false
			}
			s.pos++
			s.space()
		}
	}
	s.pos++
	if first == len(s.positions) {
		return []string{}, true
	}
	// A full slice expression: appending to one list cannot write into
	// the next.
	return s.positions[first:len(s.positions):len(s.positions)], true
}

// number reads a number of JSON's grammar and returns its text and
// whether it has a fraction or an exponent; "" when there is none.
func (s *playerScanner) number() (num string, fraction bool) {
	start, i := s.pos, s.pos
	digits := func() int {
		n := 0
		for i < len(s.src) && s.src[i] >= '0' && s.src[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s.src) && s.src[i] == '-' {
		i++
	}
	switch {
	case i < len(s.src) && s.src[i] == '0':
		i++
	case digits() == 0:
		return "", false
	}
	if i < len(s.src) && s.src[i] == '.' {
		i++
		if digits() == 0 {
			return "", false
		}
		fraction = true
	}
	if i < len(s.src) && (s.src[i] == 'e' || s.src[i] == 'E') {
		i++
		if i < len(s.src) && (s.src[i] == '+' || s.src[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", false
		}
		fraction = true
	}
	s.pos = i
	return s.str[start:i], fraction
}

// int reads an integer written without fraction or exponent.
func (s *playerScanner) int() (int, bool) {
	num, fraction := s.number()
	if num == "" || fraction {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 0)
	return int(n), err == nil
}

// float reads a number.
func (s *playerScanner) float() (float64, bool) {
	if f, ok := s.shortFloat(); ok {
		return f, true
	}
	num, _ := s.number()
	if num == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(num, 64)
	return f, err == nil
}

// pow10 are the powers of ten a float64 holds exactly, up to 10^15.
var pow10 = [16]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// shortFloat reads a number of at most 15 digits, without exponent (a
// projection, 60.87), as strconv.ParseFloat reads it, but faster: its
// exact case, the digits as an integer divided by a power of ten, both
// exact in a float64, so the quotient is the correctly rounded value.
// False, pos unmoved, for any other number.
func (s *playerScanner) shortFloat() (float64, bool) {
	i := s.pos
	neg := i < len(s.src) && s.src[i] == '-'
	if neg {
		i++
	}
	first := i // the first digit
	var mant uint64
	whole, frac := 0, -1 // digits before the point; after it (-1: no point)
scan:
	for ; i < len(s.src); i++ {
		switch c := s.src[i]; {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			} else {
				whole++
			}
		case c == '.' && frac < 0:
			frac = 0
		case c == 'e' || c == 'E' || c == '.':
			return 0, false
		default:
			break scan
		}
	}
	leadingZero := whole > 1 && s.src[first] == '0' // not JSON
	if whole == 0 || frac == 0 || leadingZero || whole+max(frac, 0) > 15 {
		return 0, false
	}
	f := float64(mant)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	s.pos = i
	return f, true
}

// floatPointer reads a number into a new float64.
func (s *playerScanner) floatPointer() (*float64, bool) {
	f, ok := s.float()
	if !ok {
		return nil, false
	}
	return &f, true
}

// bool reads true or false.
func (s *playerScanner) bool() (bool, bool) {
	rest := s.src[s.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.pos += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.pos += 5
		return false, true
	}
	return false, false
}

// stepOverString moves past the string at pos, escapes and all.
func (s *playerScanner) stepOverString() bool {
	for i := s.pos + 1; i < len(s.src); i++ {
		switch s.src[i] {
		case '\\':
			i++
		case '"':
			s.pos = i + 1
			return true
		}
	}
	return false
}

// stepOverValue moves past the value at pos: strings, and brackets
// counted outside them; a number or literal runs to the next delimiter.
func (s *playerScanner) stepOverValue() bool {
	depth := 0
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '"':
			if !s.stepOverString() {
				return false
			}
			if depth == 0 {
				return true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return false
			}
			if depth == 0 {
				s.pos++
				return true
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return true
			}
		}
		s.pos++
	}
	return false
}
