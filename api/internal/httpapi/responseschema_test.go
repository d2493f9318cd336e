package httpapi

// The response schemas of api/openapi.yaml against the Go types that
// produce the answers, by reflection: every JSON field a type can emit is
// a property of its schema and every property a field (both ways), a field
// without omitempty/omitzero is required and one with it is not, the JSON
// type matches (integer for Go integers, number for floats, string for
// time.Time with format date-time, ...), null is allowed only where Go can
// emit it, and every object schema of a struct forbids other properties
// while every map's schema types its values (additionalProperties: a
// schema). Types with their own MarshalJSON are checked by marshaling a
// zero value instead. Every JSON response body the spec documents must be
// in the table below, so a new answer cannot go unchecked either.
//
// What it cannot see: whether a nil slice or map of a field without
// omitempty ever reaches the encoder (it would be null where the spec
// says array/object); the producers make them non-nil and the end-to-end
// tests validate the real answers.

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dfsopt/dfsopt/api"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
)

// responseTypes maps each JSON response schema of the spec (a component
// name, or the JSON pointer of an inline schema) to the Go type the
// gateway encodes it from.
var responseTypes = map[string]reflect.Type{
	"Error":              reflect.TypeFor[ErrorBody](),
	"ErrorInfo":          reflect.TypeFor[ErrorInfo](),
	"Job":                reflect.TypeFor[jobstore.Job](),
	"JobList":            reflect.TypeFor[jobList](),
	"BatchResponse":      reflect.TypeFor[batchResponse](),
	"APIKey":             reflect.TypeFor[auth.APIKey](),
	"CreatedAPIKey":      reflect.TypeFor[createdKey](),
	"APIKeyList":         reflect.TypeFor[apiKeyList](),
	"User":               reflect.TypeFor[auth.User](),
	"UserList":           reflect.TypeFor[userList](),
	"TokenResponse":      reflect.TypeFor[tokenResponse](),
	"WebhookSecret":      reflect.TypeFor[webhookSecretBody](),
	"OptimizeResult":     reflect.TypeFor[schema.OptimizeResult](),
	"SimulateResult":     reflect.TypeFor[schema.SimulateResult](),
	"ContestSimResult":   reflect.TypeFor[schema.ContestSimResult](),
	"OwnershipResult":    reflect.TypeFor[schema.OwnershipResult](),
	"PortfolioSelection": reflect.TypeFor[schema.PortfolioSelection](),
	"CalibrateResult":    reflect.TypeFor[schema.CalibrateResult](),
	"SlateImport":        reflect.TypeFor[slatestore.ImportResult](),
	"Slate":              reflect.TypeFor[slatestore.Slate](),
	"SlateList":          reflect.TypeFor[slateList](),
	"OutcomesLoad":       reflect.TypeFor[slatestore.OutcomesResult](),
	"#/paths/~1live/get/responses/200/content/application~1json/schema":   reflect.TypeFor[liveBody](),
	"#/paths/~1health/get/responses/200/content/application~1json/schema": reflect.TypeFor[healthBody](),
	"#/paths/~1ready/get/responses/200/content/application~1json/schema":  reflect.TypeFor[readyBody](),
	"#/paths/~1ready/get/responses/503/content/application~1json/schema":  reflect.TypeFor[notReadyBody](),
}

// notEncoded are JSON response schemas no Go type encodes field by field.
var notEncoded = map[string]string{
	"#/paths/~1openapi.json/get/responses/200/content/application~1json/schema": "this document itself",
}

func TestResponseSchemasMatchGoTypes(t *testing.T) {
	doc := loadSpecTree(t)
	for _, name := range slices.Sorted(mapKeys(responseTypes)) {
		t.Run(strings.TrimPrefix(name, "#/paths/"), func(t *testing.T) {
			c := &schemaChecker{doc: doc, seen: map[string]bool{}}
			s, ok := doc.lookup(refOf(name))
			if !ok {
				t.Fatalf("the spec has no schema %s", refOf(name))
			}
			c.check(name, responseTypes[name], s, false)
			for _, e := range c.errs {
				t.Error(e)
			}
		})
	}
}

// TestEveryResponseSchemaMapped fails when the spec documents a JSON
// response body that responseTypes does not map to a Go type.
func TestEveryResponseSchemaMapped(t *testing.T) {
	doc := loadSpecTree(t)
	paths, _ := doc.root["paths"].(map[string]any)
	for _, p := range slices.Sorted(mapKeys(paths)) {
		item, _ := paths[p].(map[string]any)
		for _, method := range slices.Sorted(mapKeys(item)) {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			resps, _ := op["responses"].(map[string]any)
			for _, code := range slices.Sorted(mapKeys(resps)) {
				r, _ := doc.resolve(resps[code])
				content, _ := r["content"].(map[string]any)
				mt, _ := content["application/json"].(map[string]any)
				s, ok := mt["schema"].(map[string]any)
				if !ok {
					continue
				}
				ptr := "#/paths/" + escapePointer(p) + "/" + method + "/responses/" + code + "/content/application~1json/schema"
				for _, name := range topSchemas(s, ptr) {
					if _, ok := responseTypes[name]; !ok && notEncoded[name] == "" {
						t.Errorf("%s %s %s answers schema %s, which responseTypes maps to no Go type", strings.ToUpper(method), p, code, name)
					}
				}
			}
		}
	}
}

// topSchemas names the schemas a response body may be: the components
// it refers to (alternatives of anyOf/oneOf each), or its own pointer when
// it is inline.
func topSchemas(s map[string]any, ptr string) []string {
	if ref, ok := s["$ref"].(string); ok {
		return []string{strings.TrimPrefix(ref, "#/components/schemas/")}
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[k].([]any); ok {
			var out []string
			for i, a := range alts {
				m, _ := a.(map[string]any)
				out = append(out, topSchemas(m, fmt.Sprintf("%s/%s/%d", ptr, k, i))...)
			}
			return out
		}
	}
	return []string{ptr}
}

// specTree is the spec decoded into maps and slices.
type specTree struct{ root map[string]any }

func loadSpecTree(t *testing.T) specTree {
	t.Helper()
	var root map[string]any
	if err := yaml.Unmarshal(api.OpenAPIYAML, &root); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return specTree{root: root}
}

func refOf(name string) string {
	if strings.HasPrefix(name, "#/") {
		return name
	}
	return "#/components/schemas/" + name
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// lookup follows a local JSON pointer ("#/a/b").
func (d specTree) lookup(ref string) (map[string]any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = d.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	m, ok := cur.(map[string]any)
	return m, ok
}

// resolve follows $ref (its siblings, e.g. description, add nothing to
// check) and returns the schema and the component name when there was one.
func (d specTree) resolve(v any) (map[string]any, string) {
	s, _ := v.(map[string]any)
	name := ""
	for range 10 {
		ref, ok := s["$ref"].(string)
		if !ok {
			break
		}
		name = ref
		if s, ok = d.lookup(ref); !ok {
			return nil, name
		}
	}
	return s, name
}

// objectOf merges an object schema with the schemas of its allOf
// (properties, required and the strictest additionalProperties).
func (d specTree) objectOf(s map[string]any) (props map[string]any, required []string, additional any, hasAdditional bool) {
	props = map[string]any{}
	var walk func(s map[string]any)
	walk = func(s map[string]any) {
		if p, ok := s["properties"].(map[string]any); ok {
			for k, v := range p {
				props[k] = v
			}
		}
		if r, ok := s["required"].([]any); ok {
			for _, x := range r {
				if n, ok := x.(string); ok {
					required = append(required, n)
				}
			}
		}
		if a, ok := s["additionalProperties"]; ok && (!hasAdditional || a == false) {
			additional, hasAdditional = a, true
		}
		if all, ok := s["allOf"].([]any); ok {
			for _, x := range all {
				sub, _ := d.resolve(x)
				walk(sub)
			}
		}
	}
	walk(s)
	return props, required, additional, hasAdditional
}

// typesOf is the schema's type keyword as a set.
func typesOf(s map[string]any) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if n, ok := x.(string); ok {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	return nil
}

type schemaChecker struct {
	doc  specTree
	errs []string
	seen map[string]bool // type|component already checked
}

func (c *schemaChecker) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// check compares Go type t with schema s (maybe a $ref) at path. canBeNull:
// the field can be encoded as null (a nil pointer, slice or map without
// omitempty).
func (c *schemaChecker) check(path string, t reflect.Type, raw any, canBeNull bool) {
	s, ref := c.doc.resolve(raw)
	if s == nil {
		c.errorf(path, "schema %v does not resolve", raw)
		return
	}
	if ref != "" {
		key := t.String() + "|" + ref
		if c.seen[key] {
			return
		}
		c.seen[key] = true
	}
	for t.Kind() == reflect.Pointer && !implements(t) {
		t = t.Elem()
	}
	types := typesOf(s)
	if len(types) == 0 && s["const"] == nil && s["enum"] == nil {
		if _, isAll := s["allOf"]; !isAll {
			c.errorf(path, "schema has no type (Go %s)", t)
			return
		}
		types = []string{"object"}
	}
	nullable := slices.Contains(types, "null")
	if nullable && !canBeNull {
		c.errorf(path, "schema allows null but Go %s is never encoded as null here", t)
	}
	want := jsonTypeOf(t)
	if implements(t) {
		c.checkMarshaled(path, t, s, types)
		return
	}
	if want == "" {
		return // interface: any JSON
	}
	if len(types) > 0 {
		other := slices.DeleteFunc(slices.Clone(types), func(x string) bool { return x == "null" })
		if len(other) != 1 || other[0] != want {
			c.errorf(path, "schema type %v, Go %s encodes as %s", types, t, want)
			return
		}
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		items, ok := s["items"]
		if !ok {
			c.errorf(path, "array schema without items (Go %s)", t)
			return
		}
		c.check(path+"[]", t.Elem(), items, t.Elem().Kind() == reflect.Pointer || t.Elem().Kind() == reflect.Slice || t.Elem().Kind() == reflect.Map)
	case reflect.Map:
		props, _, add, hasAdd := c.doc.objectOf(s)
		if len(props) > 0 {
			c.errorf(path, "schema of a map (Go %s) lists properties %v", t, slices.Sorted(mapKeys(props)))
		}
		sub, ok := add.(map[string]any)
		if !hasAdd || !ok {
			c.errorf(path, "schema of a map (Go %s) must give additionalProperties a schema (the values'), has %v", t, add)
			return
		}
		c.check(path+"{}", t.Elem(), sub, t.Elem().Kind() == reflect.Pointer || t.Elem().Kind() == reflect.Slice || t.Elem().Kind() == reflect.Map)
	case reflect.Struct:
		c.checkStruct(path, t, s)
	}
}

// implements reports whether t (or *t) encodes itself.
func implements(t reflect.Type) bool {
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return true
	}
	if t.Kind() != reflect.Pointer {
		p := reflect.PointerTo(t)
		return p.Implements(jsonMarshalerType) || p.Implements(textMarshalerType)
	}
	return false
}

// checkMarshaled checks a self-encoding type by encoding a zero value: its
// JSON type, time.Time's date-time format, and an object's keys.
func (c *schemaChecker) checkMarshaled(path string, t reflect.Type, s map[string]any, types []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	b, err := json.Marshal(reflect.New(t).Interface())
	if err != nil {
		c.errorf(path, "encode a zero %s: %v", t, err)
		return
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		c.errorf(path, "decode the encoded zero %s: %v", t, err)
		return
	}
	got := ""
	switch v := v.(type) {
	case string:
		got = "string"
	case bool:
		got = "boolean"
	case float64:
		got = "number"
		if v == float64(int64(v)) {
			got = "integer"
		}
	case []any:
		got = "array"
	case map[string]any:
		got = "object"
		props, _, _, _ := c.doc.objectOf(s)
		for k := range v {
			if _, ok := props[k]; !ok {
				c.errorf(path, "Go %s encodes property %q the schema does not list", t, k)
			}
		}
	}
	if len(types) > 0 && !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
		c.errorf(path, "schema type %v, Go %s encodes as %s", types, t, got)
	}
	if t == timeType && s["format"] != "date-time" {
		c.errorf(path, "Go time.Time: the schema needs format: date-time, has %v", s["format"])
	}
}

func (c *schemaChecker) checkStruct(path string, t reflect.Type, s map[string]any) {
	props, required, add, hasAdd := c.doc.objectOf(s)
	if !hasAdd || add != false {
		c.errorf(path, "object schema of Go %s must set additionalProperties: false", t)
	}
	fields := jsonFields(t)
	for _, f := range fields {
		p, ok := props[f.name]
		if !ok {
			c.errorf(path, "Go %s field %s (%q) is not in the schema", t, f.goName, f.name)
			continue
		}
		req := slices.Contains(required, f.name)
		switch {
		case f.optional && req:
			c.errorf(path+"."+f.name, "required, but Go %s.%s is omitempty/omitzero", t, f.goName)
		case !f.optional && !req:
			c.errorf(path+"."+f.name, "not required, but Go %s.%s is always encoded (no omitempty)", t, f.goName)
		}
		nillable := !f.optional && (f.typ.Kind() == reflect.Pointer || f.typ.Kind() == reflect.Slice || f.typ.Kind() == reflect.Map)
		if f.asString {
			if ps, _ := c.doc.resolve(p); !slices.Equal(typesOf(ps), []string{"string"}) {
				c.errorf(path+"."+f.name, "Go %s.%s has the ,string option: the schema type must be string", t, f.goName)
			}
			continue
		}
		c.check(path+"."+f.name, f.typ, p, nillable)
	}
	for _, name := range slices.Sorted(mapKeys(props)) {
		if !slices.ContainsFunc(fields, func(f jsonField) bool { return f.name == name }) {
			c.errorf(path, "schema property %q is no JSON field of Go %s", name, t)
		}
	}
	for _, name := range required {
		if _, ok := props[name]; !ok {
			c.errorf(path, "required %q is not a property", name)
		}
	}
}

type jsonField struct {
	name, goName string
	typ          reflect.Type
	optional     bool // omitempty or omitzero
	asString     bool // the ,string option
}

// jsonFields lists the fields encoding/json encodes for struct type t,
// promoting the fields of embedded structs without a name tag (the
// shallower field wins a name clash, as in encoding/json).
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	depthOf := map[string]int{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					walk(et, depth+1)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			f := jsonField{name: name, goName: sf.Name, typ: ft}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					f.optional = true
				case "string":
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.String:
						f.asString = true
					}
				}
			}
			if d, ok := depthOf[name]; ok {
				if d <= depth {
					continue
				}
				out = slices.DeleteFunc(out, func(x jsonField) bool { return x.name == name })
			}
			depthOf[name] = depth
			out = append(out, f)
		}
	}
	walk(t, 0)
	return out
}

// jsonTypeOf is the JSON Schema type Go type t encodes as ("" for an
// interface: anything).
func jsonTypeOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // base64
		}
		return "array"
	case reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonTypeOf(t.Elem())
	}
	return ""
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestResponseSchemaCheckerCatchesDrift runs the checker on a spec
// fragment and a type that disagree in every way it checks.
func TestResponseSchemaCheckerCatchesDrift(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type embedded struct {
		E string `json:"e"`
	}
	type doc struct {
		embedded
		A     string             `json:"a"`
		B     float64            `json:"b,omitempty"`
		C     int                `json:"c"`
		D     map[string]float64 `json:"d"`
		T     time.Time          `json:"t"`
		In    inner              `json:"in"`
		Hid   string             `json:"-"`
		Extra string             `json:"extra"`
		Enc   selfEncoded        `json:"enc"`
	}
	var root map[string]any
	if err := yaml.Unmarshal([]byte(`
components:
  schemas:
    Doc:
      type: object
      required: [a, b, c, d, t, in, gone, enc]
      properties:
        a: {type: [string, "null"]}
        b: {type: number}
        c: {type: number}
        d: {type: object}
        t: {type: string}
        in:
          type: object
          required: [n]
          properties:
            n: {type: integer}
        gone: {type: string}
        enc:
          type: object
          properties:
            x: {type: integer}
`), &root); err != nil {
		t.Fatal(err)
	}
	c := &schemaChecker{doc: specTree{root: root}, seen: map[string]bool{}}
	s, _ := c.doc.lookup("#/components/schemas/Doc")
	c.check("Doc", reflect.TypeFor[doc](), s, false)
	got := strings.Join(c.errs, "\n")
	for _, want := range []string{
		`must set additionalProperties: false`,                    // Doc
		`field E ("e") is not in the schema`,                      // embedded field promoted
		`field Extra ("extra") is not in the schema`,              // undocumented field
		`schema property "gone" is no JSON field`,                 // documented field the type lacks
		`Doc.a: schema allows null`,                               // a string is never null
		`Doc.b: required, but Go`,                                 // omitempty
		`Doc.c: schema type [number], Go int encodes as integer`,  // integer
		`Doc.d: schema of a map`,                                  // map without a value schema
		`Doc.t: Go time.Time: the schema needs format: date-time`, // time
		`Doc.in: object schema of Go httpapi.inner must set additionalProperties: false`,
		`Doc.enc: Go httpapi.selfEncoded encodes property "y" the schema does not list`, // MarshalJSON
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the checker did not report %q; it reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"Hid"`) || strings.Contains(got, `"-"`) {
		t.Errorf("json:\"-\" field reported:\n%s", got)
	}
}

// selfEncoded has its own MarshalJSON: the checker encodes it.
type selfEncoded struct{}

func (selfEncoded) MarshalJSON() ([]byte, error) { return []byte(`{"x":1,"y":"s"}`), nil }
