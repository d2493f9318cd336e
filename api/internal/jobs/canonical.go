package jobs

import (
	"bytes"
	"errors"
	"slices"
)

// errNotCanonical: the document is not JSON canonicalJSON can order (bad
// syntax, or nested deeper than maxCanonicalDepth).
var errNotCanonical = errors.New("not canonicalizable JSON")

// maxCanonicalDepth bounds the nesting canonicalJSON follows.
const maxCanonicalDepth = 512

// canonicalJSON returns the canonical form of a JSON document for the
// result cache: object members sorted by key (the decoder matches
// member names exactly), insignificant space removed, every string and number token kept as
// written. Two documents with the same canonical form are the same
// document up to member order and spacing, so they decode to the same
// request; documents that differ only in how a string or number is spelled
// get different forms (a cache miss, never a wrong hit). It also reports
// whether an object member naming stored data (namesStoredData: slates,
// calibrations, which may change) has a non-null value
// (such requests are not cached). One pass, no reflection. doc must be
// valid JSON (the request decoder has accepted it): literals are copied
// without being checked. Documents with duplicate keys, or keys whose
// reading this does not reproduce (escapes, non-ASCII), are refused: not
// cached.
func canonicalJSON(doc []byte) (canon []byte, stored bool, err error) {
	c := canonicalizer{src: doc, out: make([]byte, 0, len(doc))}
	c.skipSpace()
	if err := c.value(0); err != nil {
		return nil, false, err
	}
	c.skipSpace()
	if c.pos != len(c.src) {
		return nil, false, errNotCanonical
	}
	return c.out, c.stored, nil
}

type canonicalizer struct {
	src    []byte
	pos    int
	out    []byte
	stored bool
	// members is a stack of the members of the objects being read (an
	// object's are above those of the objects around it); vals is scratch
	// for the values an object moves. Both are reused across objects, so
	// a document costs a few allocations however many objects it has.
	members []member
	vals    []byte
}

// member is one object member: its key token (in the source), the token's
// first 8 bytes as a big-endian number (zero-padded: ordered as the
// tokens are, so most comparisons stop there), and where its canonical
// value was written in the output.
type member struct {
	key        []byte
	prefix     uint64
	start, end int
}

// keyPrefix returns the first 8 bytes of a key token, big-endian,
// zero-padded.
func keyPrefix(key []byte) uint64 {
	var p uint64
	for i := range 8 {
		p <<= 8
		if i < len(key) {
			p |= uint64(key[i])
		}
	}
	return p
}

// compareMembers orders members by key token.
func compareMembers(a, b *member) int {
	switch {
	case a.prefix < b.prefix:
		return -1
	case a.prefix > b.prefix:
		return 1
	}
	return bytes.Compare(a.key, b.key)
}

// sortMembers sorts members by key: insertion sort for the few members of
// most objects, slices.SortFunc beyond.
func sortMembers(ms []member) {
	if len(ms) > 12 {
		slices.SortFunc(ms, func(a, b member) int { return compareMembers(&a, &b) })
		return
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && compareMembers(&ms[j], &ms[j-1]) < 0; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

func (c *canonicalizer) skipSpace() {
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// value appends the canonical form of the value at pos.
func (c *canonicalizer) value(depth int) error {
	if depth > maxCanonicalDepth || c.pos >= len(c.src) {
		return errNotCanonical
	}
	switch b := c.src[c.pos]; {
	case b == '{':
		return c.object(depth)
	case b == '[':
		return c.array(depth)
	case b == '"':
		s, err := c.str()
		c.out = append(c.out, s...)
		return err
	default:
		return c.literal()
	}
}

// str returns the string token at pos, quotes included, as written.
func (c *canonicalizer) str() ([]byte, error) {
	start := c.pos
	c.pos++
	// Most strings have no escape: find the closing quote at once.
	if n := bytes.IndexByte(c.src[c.pos:], '"'); n >= 0 && bytes.IndexByte(c.src[c.pos:c.pos+n], '\\') < 0 {
		for _, b := range c.src[c.pos : c.pos+n] {
			if b < 0x20 {
				return nil, errNotCanonical
			}
		}
		c.pos += n + 1
		return c.src[start:c.pos], nil
	}
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case '\\':
			c.pos += 2
		case '"':
			c.pos++
			return c.src[start:c.pos], nil
		default:
			if c.src[c.pos] < 0x20 {
				return nil, errNotCanonical
			}
			c.pos++
		}
	}
	return nil, errNotCanonical
}

// literal appends a number, true, false or null token as written.
func (c *canonicalizer) literal() error {
	start := c.pos
	for c.pos < len(c.src) {
		b := c.src[c.pos]
		if (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || b == '-' || b == '+' || b == '.' || b == 'E' {
			c.pos++
			continue
		}
		break
	}
	if c.pos == start {
		return errNotCanonical
	}
	c.out = append(c.out, c.src[start:c.pos]...)
	return nil
}

func (c *canonicalizer) array(depth int) error {
	c.pos++ // [
	c.out = append(c.out, '[')
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		c.skipSpace()
		if err := c.value(depth + 1); err != nil {
			return err
		}
		c.skipSpace()
		if c.pos >= len(c.src) {
			return errNotCanonical
		}
		switch c.src[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return nil
		default:
			return errNotCanonical
		}
	}
}

func (c *canonicalizer) object(depth int) error {
	c.pos++ // {
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == '}' {
		c.pos++
		c.out = append(c.out, '{', '}')
		return nil
	}
	// The members' canonical values are written to the output first, then
	// moved into key order.
	base := len(c.out)
	mbase := len(c.members)
	for {
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != '"' {
			return errNotCanonical
		}
		key, err := c.str()
		if err != nil {
			return err
		}
		if !plainKey(key) {
			return errNotCanonical
		}
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != ':' {
			return errNotCanonical
		}
		c.pos++
		c.skipSpace()
		vstart := len(c.out)
		if err := c.value(depth + 1); err != nil {
			return err
		}
		if namesStoredData(key) && !bytes.Equal(c.out[vstart:], []byte("null")) {
			c.stored = true
		}
		c.members = append(c.members, member{key: key, prefix: keyPrefix(key), start: vstart, end: len(c.out)})
		c.skipSpace()
		if c.pos >= len(c.src) {
			return errNotCanonical
		}
		if c.src[c.pos] == '}' {
			c.pos++
			break
		}
		if c.src[c.pos] != ',' {
			return errNotCanonical
		}
		c.pos++
	}
	// Sorted by name; a duplicate name (which the decoder refuses) makes
	// the document uncacheable.
	members := c.members[mbase:]
	defer func() { c.members = c.members[:mbase] }()
	sortMembers(members)
	for i := 1; i < len(members); i++ {
		if bytes.Equal(members[i].key, members[i-1].key) {
			return errNotCanonical
		}
	}
	// The values live in c.out[base:]; copy them out before rewriting it
	// (the objects inside are done: the scratch is free).
	c.vals = append(c.vals[:0], c.out[base:]...)
	c.out = append(c.out[:base], '{')
	for i, m := range members {
		if i > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, m.key...)
		c.out = append(c.out, ':')
		c.out = append(c.out, c.vals[m.start-base:m.end-base]...)
	}
	c.out = append(c.out, '}')
	return nil
}

// plainKey reports whether a key token has neither escapes nor non-ASCII
// bytes: two such tokens name the same member exactly when they are equal.
// Documents with other keys are not cached.
func plainKey(key []byte) bool {
	for _, b := range key {
		if b == '\\' || b >= 0x80 {
			return false
		}
	}
	return true
}

// namesStoredData reports whether an object key token (without escapes)
// names a stored-data field.
func namesStoredData(key []byte) bool {
	name := key[1 : len(key)-1]
	for _, f := range storedDataNames {
		if bytes.Equal(name, f) {
			return true
		}
	}
	return false
}

// storedDataNames are the request fields that name stored data.
var storedDataNames = [][]byte{[]byte("slate_id"), []byte("slate_ids"), []byte("source"), []byte("calibration_id")}
