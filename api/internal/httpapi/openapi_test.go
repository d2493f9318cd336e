package httpapi

import (
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
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
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
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/components/([^/"]+)/([^"]+)"`).FindAllStringSubmatch(string(openAPISpec), -1) {
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
	if !json.Valid(w.Body.Bytes()) || w.Body.Len() != len(openAPISpec) {
		t.Fatalf("body is not the embedded document (%d bytes)", w.Body.Len())
	}
}
