package jobs

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// errNotDigestible: a value digest cannot write (a func, a channel, a map
// with keys other than strings or integers, nesting deeper than
// maxDigestDepth): such a request is not cached.
var errNotDigestible = errors.New("value cannot be digested")

// maxDigestDepth bounds the nesting digest follows (request documents are
// a few levels deep; a cycle would be endless).
const maxDigestDepth = 64

// storedDataNames are the JSON names of the request fields that name
// stored data (slates, calibrations), which may change: a request with one
// set is not cached.
var storedDataNames = []string{"slate_id", "slate_ids", "source", "calibration_id"}

// digester computes the result-cache digest of decoded request documents:
// the SHA-256 of the document's value, written as binary (every exported
// field in declaration order, strings and lists with their lengths,
// numbers as their bits, map entries sorted by key, a marker for nil). Two
// request bodies with one digest decode to one value, and a job's
// computation reads nothing else of its body, so they compute the same
// result: a hit is never wrong. Bodies that differ in member order,
// spacing, escapes or the spelling of a number (1.5, 1.50, 15e-1) share a
// digest. Unexported fields hold no document data (decoders set exported
// fields only; TestDigestCoversDocuments checks the request types) and
// are skipped. Safe for concurrent use.
type digester struct {
	fields sync.Map // reflect.Type → []digestField
	bufs   sync.Pool
	// reflective turns off players, the walk's fast path (for the test
	// that compares the two).
	reflective bool
}

// digestField is a struct field digest writes.
type digestField struct {
	index  int
	stored bool // its JSON name names stored data
}

// digest returns the digest of doc (a pointer to a decoded document) and
// whether the document names stored data (a field of storedDataNames set,
// at any depth); errNotDigestible for values it cannot write.
func (d *digester) digest(doc any) (sum [sha256.Size]byte, stored bool, err error) {
	bp, _ := d.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	w := digestWriter{d: d, buf: (*bp)[:0]}
	err = w.value(reflect.ValueOf(doc), 0)
	if err == nil {
		sum = sha256.Sum256(w.buf)
	}
	*bp = w.buf
	d.bufs.Put(bp)
	return sum, w.stored, err
}

// fieldsOf returns the fields of struct type t that digest writes.
func (d *digester) fieldsOf(t reflect.Type) []digestField {
	if f, ok := d.fields.Load(t); ok {
		return f.([]digestField)
	}
	var fs []digestField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fs = append(fs, digestField{index: i, stored: slices.Contains(storedDataNames, name)})
	}
	d.fields.Store(t, fs)
	return fs
}

// digestWriter writes one value's digest input.
type digestWriter struct {
	d      *digester
	buf    []byte
	stored bool
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	playersType = reflect.TypeFor[[]slate.Player]()
)

func (w *digestWriter) uint(u uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, u) }

func (w *digestWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *digestWriter) value(v reflect.Value, depth int) error {
	if depth > maxDigestDepth {
		return errNotDigestible
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			w.buf = append(w.buf, 0)
			return nil
		}
		w.buf = append(w.buf, 1)
		if v.Kind() == reflect.Interface {
			w.str(v.Elem().Type().String())
		}
		return w.value(v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == timeType {
			b, err := v.Interface().(time.Time).MarshalBinary() // the instant and its offset
			if err != nil {
				return fmt.Errorf("%w: %w", errNotDigestible, err)
			}
			w.str(string(b))
			return nil
		}
		for _, f := range w.d.fieldsOf(v.Type()) {
			fv := v.Field(f.index)
			if f.stored && !fv.IsZero() {
				w.stored = true
			}
			if err := w.value(fv, depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			w.buf = append(w.buf, 0)
			return nil
		}
		if v.Type() == playersType && !w.d.reflective {
			w.players(v.Interface().([]slate.Player))
			return nil
		}
		w.buf = append(w.buf, 1)
		w.uint(uint64(v.Len()))
		for i := range v.Len() {
			if err := w.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		return w.mapValue(v, depth)
	case reflect.String:
		w.str(v.String())
	case reflect.Bool:
		if v.Bool() {
			w.buf = append(w.buf, 1)
		} else {
			w.buf = append(w.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		w.uint(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		w.uint(v.Uint())
	case reflect.Float32, reflect.Float64:
		w.uint(math.Float64bits(v.Float()))
	default:
		return errNotDigestible
	}
	return nil
}

// players writes a non-nil player list as value would, without
// reflection: player lists are most of a request document.
// TestDigestPlayers checks that the two agree.
func (w *digestWriter) players(ps []slate.Player) {
	w.buf = append(w.buf, 1)
	w.uint(uint64(len(ps)))
	for i := range ps {
		p := &ps[i]
		w.str(p.ID)
		w.str(p.Name)
		if p.Positions == nil {
			w.buf = append(w.buf, 0)
		} else {
			w.buf = append(w.buf, 1)
			w.uint(uint64(len(p.Positions)))
			for _, pos := range p.Positions {
				w.str(pos)
			}
		}
		w.str(p.Team)
		w.str(p.Opponent)
		w.str(p.Game)
		w.uint(uint64(p.Salary))
		w.uint(math.Float64bits(p.Projection))
		w.uint(math.Float64bits(p.StdDev))
		w.floatPointer(p.Floor)
		w.floatPointer(p.Ceiling)
		w.uint(math.Float64bits(p.Ownership))
		w.str(p.Status)
		w.str(p.CaptainID)
		w.uint(uint64(p.CaptainSalary))
		if p.GameStarted {
			w.buf = append(w.buf, 1)
		} else {
			w.buf = append(w.buf, 0)
		}
	}
}

func (w *digestWriter) floatPointer(f *float64) {
	if f == nil {
		w.buf = append(w.buf, 0)
		return
	}
	w.buf = append(w.buf, 1)
	w.uint(math.Float64bits(*f))
}

// mapValue writes a map's entries sorted by key (string or integer keys).
func (w *digestWriter) mapValue(v reflect.Value, depth int) error {
	if v.IsNil() {
		w.buf = append(w.buf, 0)
		return nil
	}
	w.buf = append(w.buf, 1)
	w.uint(uint64(v.Len()))
	keys := v.MapKeys()
	switch v.Type().Key().Kind() {
	case reflect.String:
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) })
	default:
		return errNotDigestible
	}
	for _, k := range keys {
		if err := w.value(k, depth+1); err != nil {
			return err
		}
		if err := w.value(v.MapIndex(k), depth+1); err != nil {
			return err
		}
	}
	return nil
}
