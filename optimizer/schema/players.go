package schema

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Player lists are most of a request document's bytes (a slate of 200 to
// 700 players) and, read by the library's reflection, most of the time
// the gateway spends on a submission. unmarshalStrict reads them with
// parsePlayers, a scanner written for slate.Player's members, and falls
// back to the library for the whole document on anything the scanner does
// not know: it reads the common, valid document faster and never decides
// what is refused, or how a refusal reads. FuzzPlayerScanner checks that
// an accepted list reads as the library reads it.

// strictOptions are the library options of every document decode: unknown
// members refused.
var strictOptions = json.RejectUnknownMembers(true)

// fastOptions add the player-list scanner to strictOptions.
var fastOptions = json.JoinOptions(strictOptions, json.WithUnmarshalers(json.UnmarshalFromFunc(unmarshalPlayers)))

// errScannerDeclined: parsePlayers met something it leaves to the library.
var errScannerDeclined = errors.New("player list left to the library")

// unmarshalStrict decodes b into v: unknown members refused, player lists
// scanned by parsePlayers where it can. Errors are the library's.
func unmarshalStrict(b []byte, v any) error {
	err := json.Unmarshal(b, v, fastOptions)
	if errors.Is(err, errScannerDeclined) {
		err = json.Unmarshal(b, v, strictOptions)
	}
	return err
}

// unmarshalPlayers reads a player list with parsePlayers: the library
// checks the value's syntax (ReadValue: well-formed, valid UTF-8, no
// duplicate members), the scanner reads it.
func unmarshalPlayers(dec *jsontext.Decoder, ps *[]slate.Player) error {
	if dec.PeekKind() != '[' {
		return errors.ErrUnsupported // null, or the wrong type: the library's
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return errScannerDeclined // the library names the syntax error
	}
	players, ok := parsePlayers(raw)
	if !ok {
		return errScannerDeclined
	}
	*ps = players
	return nil
}

// parsePlayers reads raw, a JSON array the library has found well-formed,
// as a list of slate.Player; false when it holds anything the scanner
// leaves to the library: a member slate.Player lacks (or spelled with an
// escape), an escaped string, null, a value of another type than its
// member's, a number out of range or not an integer where one is due.
// The strings share one copy of raw.
func parsePlayers(raw []byte) ([]slate.Player, bool) {
	s := playerScanner{src: raw, str: string(raw)}
	// About 150 bytes per player in real slates: enough to rarely grow.
	players := make([]slate.Player, 0, len(raw)/120+1)
	if s.skipSpace() != '[' {
		return nil, false
	}
	s.pos++
	if s.skipSpace() == ']' {
		s.pos++
		return players, true
	}
	for {
		players = append(players, slate.Player{})
		if !s.player(&players[len(players)-1]) {
			return nil, false
		}
		switch s.skipSpace() {
		case ',':
			s.pos++
			s.skipSpace()
		case ']':
			return players, true
		default:
			return nil, false
		}
	}
}

// playerScanner reads well-formed JSON from src; str is src as one string,
// which the values read are cut from.
type playerScanner struct {
	src       []byte
	str       string
	pos       int
	positions []string // backing for the players' position lists
}

// skipSpace moves past white space and returns the next byte (0 at the end).
func (s *playerScanner) skipSpace() byte {
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

// player reads one object into p.
func (s *playerScanner) player(p *slate.Player) bool {
	if s.pos >= len(s.src) || s.src[s.pos] != '{' {
		return false
	}
	s.pos++
	if s.skipSpace() == '}' {
		s.pos++
		return true
	}
	for {
		name, ok := s.string()
		if !ok || s.skipSpace() != ':' {
			return false
		}
		s.pos++
		s.skipSpace()
		if !s.member(p, name) {
			return false
		}
		switch s.skipSpace() {
		case ',':
			s.pos++
			s.skipSpace()
		case '}':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// member reads the value of p's member name.
func (s *playerScanner) member(p *slate.Player, name string) bool {
	var ok bool
	switch name {
	case "id":
		p.ID, ok = s.string()
	case "name":
		p.Name, ok = s.string()
	case "positions":
		p.Positions, ok = s.strings()
	case "team":
		p.Team, ok = s.string()
	case "opponent":
		p.Opponent, ok = s.string()
	case "game":
		p.Game, ok = s.string()
	case "salary":
		p.Salary, ok = s.int()
	case "projection":
		p.Projection, ok = s.float()
	case "stddev":
		p.StdDev, ok = s.float()
	case "floor":
		p.Floor, ok = s.floatPointer()
	case "ceiling":
		p.Ceiling, ok = s.floatPointer()
	case "ownership":
		p.Ownership, ok = s.float()
	case "status":
		p.Status, ok = s.string()
	case "captain_id":
		p.CaptainID, ok = s.string()
	case "captain_salary":
		p.CaptainSalary, ok = s.int()
	case "game_started":
		p.GameStarted, ok = s.bool()
	}
	return ok
}

// string reads a string without escapes.
func (s *playerScanner) string() (string, bool) {
	if s.pos >= len(s.src) || s.src[s.pos] != '"' {
		return "", false
	}
	start := s.pos + 1
	for i := start; i < len(s.src); i++ {
		switch s.src[i] {
		case '"':
			s.pos = i + 1
			return s.str[start:i], true
		case '\\':
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
	if s.skipSpace() != ']' {
		for {
			v, ok := s.string()
			if !ok {
				return nil, false
			}
			s.positions = append(s.positions, v)
			c := s.skipSpace()
			if c == ']' {
				break
			}
			if c != ',' {
				return nil, false
			}
			s.pos++
			s.skipSpace()
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

// number returns the JSON number at pos (the library checked its form).
func (s *playerScanner) number() string {
	start := s.pos
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			s.pos++
			continue
		}
		break
	}
	return s.str[start:s.pos]
}

// int reads an integer written without fraction or exponent.
func (s *playerScanner) int() (int, bool) {
	num := s.number()
	for i := range len(num) {
		if c := num[i]; c < '0' || c > '9' {
			if !(i == 0 && c == '-') {
				return 0, false
			}
		}
	}
	n, err := strconv.ParseInt(num, 10, 0)
	return int(n), err == nil && num != ""
}

// float reads a number.
func (s *playerScanner) float() (float64, bool) {
	num := s.number()
	if num == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(num, 64)
	return f, err == nil
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
	switch {
	case bytes.HasPrefix(s.src[s.pos:], []byte("true")):
		s.pos += 4
		return true, true
	case bytes.HasPrefix(s.src[s.pos:], []byte("false")):
		s.pos += 5
		return false, true
	}
	return false, false
}
