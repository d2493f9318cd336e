package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dfsopt/dfsopt/api"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// TestSpecDocumentValid: api/openapi.yaml is a valid OpenAPI 3.1 document
// (checked against the 3.1 meta-schema by libopenapi-validator).
func TestSpecDocumentValid(t *testing.T) {
	c, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok, errs := c.v.ValidateDocument(); !ok {
		for _, e := range errs {
			for _, line := range describe(e) {
				t.Errorf("api/openapi.yaml: %s", line)
			}
		}
	}
}

// recorder collects what the spec transport reports.
type recorder struct{ msgs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// TestSpecTransportCatchesViolations proves the validation that wraps the
// end-to-end clients fails on answers that break the spec: a handcrafted
// server answers each request as told, and every non-conforming answer must
// be reported naming the operation, the status and the violation, while the
// conforming controls are not.
func TestSpecTransportCatchesViolations(t *testing.T) {
	const job = `{"id":"job_0123456789abcdef0123456789abcdef","type":"optimize","status":"queued","queue":"default",` +
		`"progress":{"done":0,"total":3},"created_at":"2025-01-12T18:00:00Z","expires_at":"2025-01-13T18:00:00Z","request_id":"r1"}`
	type answer struct {
		status int
		ctype  string
		body   string
		noRID  bool // leave X-Request-ID out
	}
	answers := map[string]answer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answers[r.Method+" "+r.URL.RequestURI()]
		if !a.noRID {
			w.Header().Set("X-Request-ID", "r1")
		}
		if a.ctype != "" {
			w.Header().Set("Content-Type", a.ctype)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	defer srv.Close()
	st := newSpecTransport(t, nil)
	client := &http.Client{Transport: st}

	notFound := `{"error":{"code":"not_found","message":"no such job","request_id":"r1"}}`
	cases := []struct {
		name, method, target string
		answer
		want []string // substrings of the report; none: must conform
	}{
		{"control: probe", "GET", "/live", answer{200, "application/json", `{"status":"ok"}`, false}, nil},
		{"control: job", "GET", "/v1/jobs/job_1", answer{200, "application/json", job, false}, nil},
		{"control: unknown path", "GET", "/v1/nowhere", answer{404, "application/json", notFound, false}, nil},
		{"control: csv result", "GET", "/v1/jobs/job_1/result?format=csv", answer{200, "text/csv; charset=utf-8", "PG,SG\np1,p2\n", false}, nil},
		{"wrong field type", "GET", "/v1/jobs/job_1", answer{200, "application/json", strings.Replace(job, `"done":0`, `"done":"none"`, 1), false},
			[]string{"GET /v1/jobs/{id} (getJob) answered 200", "progress", "done"}},
		{"value outside the enum", "GET", "/v1/jobs/job_1", answer{200, "application/json", strings.Replace(job, `"queued"`, `"paused"`, 1), false},
			[]string{"getJob) answered 200", "status"}},
		{"missing required field", "GET", "/v1/jobs/job_1", answer{200, "application/json", strings.Replace(job, `"queue":"default",`, ``, 1), false},
			[]string{"answered 200", "queue"}},
		{"undocumented field", "GET", "/v1/jobs/job_1", answer{200, "application/json", strings.Replace(job, `"id":`, `"owner":"x","id":`, 1), false},
			[]string{"answered 200", "owner"}},
		{"undocumented status", "GET", "/live", answer{http.StatusTeapot, "application/json", `{"status":"ok"}`, false},
			[]string{"GET /live", "answered 418", "418"}},
		{"undocumented content type", "GET", "/v1/jobs/job_1/result?format=csv", answer{200, "text/html", "<p>", false},
			[]string{"/v1/jobs/{id}/result", "answered 200", "text/html"}},
		{"error body without its code", "GET", "/v1/jobs/job_1", answer{404, "application/json", `{"error":{"message":"no","request_id":"r1"}}`, false},
			[]string{"getJob) answered 404", "code"}},
		{"missing required header", "GET", "/v1/jobs/job_1", answer{200, "application/json", job, true},
			[]string{"getJob) answered 200", "X-Request-ID"}},
		{"unknown path answered 200", "GET", "/v1/nowhere", answer{200, "application/json", notFound, false},
			[]string{"GET /v1/nowhere (no operation in the spec) answered 200", "want 404"}},
		{"undocumented method answered 404", "PUT", "/v1/jobs", answer{404, "application/json", notFound, false},
			[]string{"PUT /v1/jobs (no operation in the spec) answered 404", "want 405"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answers[c.method+" "+c.target] = c.answer
			rec := &recorder{}
			req, err := http.NewRequest(c.method, srv.URL+c.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(withReporter(req, rec))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if c.want == nil {
				if len(rec.msgs) > 0 {
					t.Errorf("a conforming answer was reported:\n%s", strings.Join(rec.msgs, "\n"))
				}
				return
			}
			if len(rec.msgs) != 1 {
				t.Fatalf("want one report, got %d: %q", len(rec.msgs), rec.msgs)
			}
			for _, w := range c.want {
				if !strings.Contains(rec.msgs[0], w) {
					t.Errorf("the report does not say %q:\n%s", w, rec.msgs[0])
				}
			}
		})
	}
	if n := st.n.Load(); n != int64(len(cases)) {
		t.Errorf("%d answers validated, want %d", n, len(cases))
	}
}

// TestSpecExamplesConform: every example of a component schema (the
// request and result documents carry real ones, from the real slates)
// conforms to its schema, and every request and result schema has one.
func TestSpecExamplesConform(t *testing.T) {
	c, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Examples []any `yaml:"examples"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.OpenAPIYAML, &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"OptimizeRequest", "SimulateRequest", "ContestSimRequest", "OwnershipRequest", "PortfolioRequest",
		"CalibrateRequest", "OptimizeResult", "SimulateResult", "ContestSimResult", "OwnershipResult", "PortfolioSelection", "CalibrateResult"} {
		if len(doc.Components.Schemas[name].Examples) == 0 {
			t.Errorf("components.schemas.%s has no example", name)
		}
	}
	n := 0
	for name, s := range doc.Components.Schemas {
		for i, ex := range s.Examples {
			b, err := json.Marshal(ex)
			if err != nil {
				t.Fatalf("%s example %d: %v", name, i, err)
			}
			c.mu.Lock()
			ok, errs := c.schemas.ValidateSchemaBytes(c.model.Components.Schemas.GetOrZero(name).Schema(), b)
			c.mu.Unlock()
			n++
			if !ok {
				for _, e := range errs {
					for _, line := range describe(e) {
						t.Errorf("components.schemas.%s example %d: %s", name, i, line)
					}
				}
			}
		}
	}
	t.Logf("%d schema examples checked", n)

	// The request examples are accepted by the server's own decoding
	// (unknown fields refused) and validation.
	for name, req := range map[string]interface{ Validate() error }{
		"OptimizeRequest": &schema.OptimizeRequest{}, "SimulateRequest": &schema.SimulateRequest{},
		"ContestSimRequest": &schema.ContestSimRequest{}, "OwnershipRequest": &schema.OwnershipRequest{},
		"PortfolioRequest": &schema.PortfolioRequest{}, "CalibrateRequest": &schema.CalibrateRequest{},
	} {
		for i, ex := range doc.Components.Schemas[name].Examples {
			b, _ := json.Marshal(ex)
			if err := schema.DecodeBytes(b, req); err != nil {
				t.Errorf("components.schemas.%s example %d does not decode: %v", name, i, err)
			} else if err := req.Validate(); err != nil {
				t.Errorf("components.schemas.%s example %d is refused: %v", name, i, err)
			}
		}
	}
}
