package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/task"
)

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPIJSON(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

func TestOpenAPIIsJSON31(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	// every local $ref names a component that exists
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/components/([^/"]+)/([^"]+)"`).FindAllStringSubmatch(string(openAPIJSON()), -1) {
		if _, ok := doc.Components[m[1]][m[2]]; !ok {
			t.Errorf("dangling $ref #/components/%s/%s", m[1], m[2])
		}
	}
}

var (
	ginParam    = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)
	ginWildcard = regexp.MustCompile(`\*([A-Za-z_][A-Za-z0-9_]*)`)
)

// TestOpenAPIMatchesRoutes: every route of the engine (the job kinds'
// submit routes included) is in the spec with its method, and the spec
// lists no route the engine does not serve.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	engine, ok := newFixture(t).h.(*gin.Engine)
	if !ok {
		t.Fatal("New does not return a *gin.Engine")
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		if strings.Contains(r.Path, "*") {
			// a catch-all (the dashboard) is documented once, as GET {path}
			if r.Method != http.MethodGet {
				continue
			}
			r.Path = ginWildcard.ReplaceAllString(r.Path, "{$1}")
		}
		key := r.Method + " " + ginParam.ReplaceAllString(r.Path, "{$1}")
		served[key] = true
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		if _, ok := doc.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, path)
		}
	}
	for _, k := range task.Standard(job.Services{}).Kinds() {
		if !served["POST "+k.Path] {
			t.Errorf("job kind %s: POST %s is not served", k.Type, k.Path)
		}
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	for path, item := range doc.Paths {
		for m := range item {
			if !slices.Contains(methods, m) {
				continue // parameters, summary, ...
			}
			if !served[strings.ToUpper(m)+" "+path] {
				t.Errorf("openapi.json lists %s %s, which the gateway does not serve", strings.ToUpper(m), path)
			}
		}
	}
}

func TestOpenAPIServedWithoutKey(t *testing.T) {
	f := newFixture(t)
	w := f.do(http.MethodGet, "/openapi.json", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if !json.Valid(w.Body.Bytes()) || w.Body.Len() != len(openAPIJSON()) {
		t.Fatalf("body is not the embedded document (%d bytes)", w.Body.Len())
	}
}

// TestDocsServedWithoutKey: /docs is an HTML page (no key needed) loading
// the embedded Redoc bundle from this origin, the bundle's route serves
// it, and both carry the docs CSP (script from 'self' only).
func TestDocsServedWithoutKey(t *testing.T) {
	f := newFixture(t)
	w := f.do(http.MethodGet, "/docs", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /docs = %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET /docs Content-Type = %q", ct)
	}
	body := w.Body.String()
	for _, want := range []string{`<script src="` + docsScriptPath + `"></script>`, `spec-url="/openapi.json"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /docs does not contain %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "https://") {
		t.Errorf("GET /docs loads something from another origin:\n%s", body)
	}
	for _, path := range []string{"/docs", docsScriptPath} {
		csp := f.do(http.MethodGet, path, "", nil).Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s CSP = %q", path, csp)
		}
	}

	w = f.do(http.MethodGet, docsScriptPath, "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", docsScriptPath, w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("GET %s Content-Type = %q", docsScriptPath, ct)
	}
	if w.Body.Len() != len(redocScript) || !strings.Contains(w.Body.String(), "Redoc") {
		t.Fatalf("GET %s is not the embedded bundle (%d bytes, want %d)", docsScriptPath, w.Body.Len(), len(redocScript))
	}

	// the API itself keeps the CSP that allows nothing
	if csp := f.do(http.MethodGet, "/openapi.json", "", nil).Header().Get("Content-Security-Policy"); csp != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("GET /openapi.json CSP = %q", csp)
	}
}

// TestOpenAPIJSONConversion: api/openapi.yaml is served as JSON with the
// document's key order, YAML types map to JSON ones, and YAML that has no
// JSON form is refused rather than served wrong.
func TestOpenAPIJSONConversion(t *testing.T) {
	got, err := OpenAPIJSON([]byte("z: 1\na: [true, null, 2.5, 'x', \"y\"]\nm:\n  b: >-\n    folded\n    line\n  a: 10000000000\n"))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, got); err != nil {
		t.Fatal(err)
	}
	if want := `{"z":1,"a":[true,null,2.5,"x","y"],"m":{"b":"folded line","a":10000000000}}`; compact.String() != want {
		t.Errorf("got %s, want %s", compact.String(), want)
	}
	for _, bad := range []string{"1: x\n", "a: &x 1\nb: *x\n", "a: !!binary aGk=\n", "a: 1\n---\nb: 2\n", "a: [\n"} {
		if _, err := OpenAPIJSON([]byte(bad)); err == nil {
			t.Errorf("%q converted; want an error", bad)
		}
	}
}
