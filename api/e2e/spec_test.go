package e2e

// Every answer the end-to-end tests receive from a gateway is validated
// against the OpenAPI document (api/openapi.yaml, the one the gateway
// embeds and serves): the status must be documented for the operation, the
// documented required headers present and well-formed, the Content-Type one
// the operation documents for that status, and a JSON body must conform to
// its schema. A request the spec has no operation for (unknown path or
// method) must be answered 404 or 405 with the Error body.
//
// Library: github.com/pb33f/libopenapi-validator (with libopenapi), chosen
// over github.com/getkin/kin-openapi after trying both (v0.16.2 and
// v0.153.0) on this document. Both validate 3.1 schemas with a JSON Schema
// 2020-12 engine (type arrays with "null", numeric exclusiveMinimum, const,
// prefixItems, $ref with siblings all checked in a trial). libopenapi is
// 3.1-native: it compiles each schema from the document's own YAML nodes,
// where kin-openapi round-trips them through its 3.0-shaped Schema struct
// before handing them to the 2020-12 validator, so a keyword that struct
// does not model is silently lost. libopenapi-validator also checks the
// document itself against the OpenAPI 3.1 meta-schema (TestSpecDocumentValid)
// and points at the failing node, where kin-openapi's loader only refused
// the document with a YAML construction error; and its errors carry the
// JSON path of each failing field, which the messages below quote.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/dfsopt/dfsopt/api"
)

// specChecker validates answers against the document. One per process
// (building it compiles every schema); safe for concurrent use.
type specChecker struct {
	mu       sync.Mutex // the validator's caches are not documented as concurrency-safe
	v        validator.Validator
	model    *v3.Document
	errorDoc *base.Schema // the Error body, for requests no operation matches
	schemas  schema_validation.SchemaValidator
	total    atomic.Int64
}

var loadSpec = sync.OnceValues(func() (*specChecker, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("parse api/openapi.yaml: %w", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build the model of api/openapi.yaml: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator for api/openapi.yaml: %v", errs)
	}
	errProxy := m.Model.Components.Schemas.GetOrZero("Error")
	if errProxy == nil {
		return nil, fmt.Errorf("api/openapi.yaml has no components.schemas.Error")
	}
	return &specChecker{v: v, model: &m.Model, errorDoc: errProxy.Schema(),
		schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions())}, nil
})

// violations returns what is wrong with resp (whose body was read into
// body) as the answer to req, and the operation it was checked against.
func (s *specChecker) violations(req *http.Request, resp *http.Response, body []byte) (string, []string) {
	s.total.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Validate a copy: the validator reads the body.
	cp := *resp
	cp.Body = io.NopCloser(bytes.NewReader(body))
	cp.Request = req

	item, _, tmpl := paths.FindPath(req, s.model, nil)
	var op *v3.Operation
	if item != nil {
		op = helpers.ExtractOperation(req, item)
	}
	if op == nil {
		// No operation for this method and path: the gateway's catch-all
		// answers, 404 (unknown path) or 405 (known path, other method),
		// with the Error body.
		name := req.Method + " " + req.URL.Path + " (no operation in the spec)"
		var out []string
		want := http.StatusNotFound
		if item != nil {
			want = http.StatusMethodNotAllowed
		}
		if resp.StatusCode != want {
			out = append(out, fmt.Sprintf("status %d, want %d for a request the spec has no operation for", resp.StatusCode, want))
		}
		out = append(out, s.checkJSON(s.errorDoc, resp, body)...)
		return name, out
	}
	name := req.Method + " " + tmpl
	if op.OperationId != "" {
		name += " (" + op.OperationId + ")"
	}
	var out []string
	if ok, errs := s.v.ValidateHttpResponse(req, &cp); !ok {
		for _, e := range errs {
			out = append(out, describe(e)...)
		}
	}
	// A body where the spec documents none (the validator checks bodies
	// only where content is documented).
	if r := documentedResponse(op, resp.StatusCode); r != nil && r.Content.Len() == 0 && len(body) > 0 {
		out = append(out, fmt.Sprintf("a %d-byte %q body where the spec documents no content", len(body), resp.Header.Get("Content-Type")))
	}
	return name, out
}

// checkJSON validates a JSON body against schema.
func (s *specChecker) checkJSON(schema *base.Schema, resp *http.Response, body []byte) []string {
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return []string{fmt.Sprintf("Content-Type %q, want application/json", resp.Header.Get("Content-Type"))}
	}
	var out []string
	if ok, errs := s.schemas.ValidateSchemaBytes(schema, body); !ok {
		for _, e := range errs {
			out = append(out, describe(e)...)
		}
	}
	return out
}

func documentedResponse(op *v3.Operation, status int) *v3.Response {
	if op.Responses == nil {
		return nil
	}
	if r := op.Responses.Codes.GetOrZero(fmt.Sprint(status)); r != nil {
		return r
	}
	if r := op.Responses.Codes.GetOrZero(fmt.Sprintf("%dXX", status/100)); r != nil {
		return r
	}
	return op.Responses.Default
}

// describe flattens a validation error into one line per failing field.
func describe(e *liberrors.ValidationError) []string {
	if len(e.SchemaValidationErrors) == 0 {
		return []string{strings.TrimSpace(e.Message + ": " + e.Reason)}
	}
	var out []string
	for _, f := range e.SchemaValidationErrors {
		where := f.FieldPath
		if where == "" {
			where = "/" + strings.Join(f.InstancePath, "/")
		}
		out = append(out, fmt.Sprintf("%s: %s (schema %s)", where, f.Reason, f.KeywordLocation))
	}
	return out
}

// reporter is what a violation is reported to: a *testing.T, or a
// recorder in the tests of the checker itself.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

type reporterKey struct{}

// withReporter makes the violations of req's answer reported to r (the
// subtest that sent it) instead of the transport's owner.
func withReporter(req *http.Request, r reporter) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), reporterKey{}, r))
}

// specTransport is the http.RoundTripper of the end-to-end clients: it
// passes requests to base and validates each answer against the spec,
// reporting violations to the request's reporter (withReporter) or to
// owner. The body is read whole and handed on unchanged.
type specTransport struct {
	base    http.RoundTripper
	owner   reporter
	check   *specChecker
	ignored sync.Map // host:port of servers that are not gateways (the worker's metrics listener)

	mu   sync.Mutex
	seen map[string]int // "operation status" -> answers
	n    atomic.Int64
}

// newSpecTransport wraps base (nil: http.DefaultTransport) for the test t,
// and logs how many answers were validated when t ends.
func newSpecTransport(t *testing.T, base http.RoundTripper) *specTransport {
	t.Helper()
	c, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	st := &specTransport{base: base, owner: t, check: c, seen: map[string]int{}}
	t.Cleanup(func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		keys := make([]string, 0, len(st.seen))
		for k := range st.seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Logf("spec: %d gateway answers validated against api/openapi.yaml, %d operation/status pairs: %s",
			st.n.Load(), len(keys), strings.Join(keys, ", "))
	})
	return st
}

// specClient is the end-to-end tests' HTTP client: every gateway answer it
// receives is validated against the spec.
func specClient(t *testing.T) *http.Client {
	t.Helper()
	return &http.Client{Timeout: 30 * time.Second, Transport: newSpecTransport(t, nil)}
}

// specProxy starts a reverse proxy to the gateway at addr (host:port)
// that validates every answer against the spec, and returns its base URL:
// clients that are not Go code of this package (the dfsopt CLI) talk to
// the gateway through it, so their traffic is checked too. An answer that
// does not conform fails t.
func specProxy(t *testing.T, addr string) string {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: addr}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = r.In.Host },
		Transport: newSpecTransport(t, nil),
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

// remoteFlags are the dfsopt CLI's flags for its remote mode against the
// gateway, through a specProxy.
func (e *env) remoteFlags(t *testing.T) []string {
	t.Helper()
	return []string{"--server", specProxy(t, e.gwAddr), "--api-key", adminKey, "--poll", "100ms"}
}

// dfsopt runs the dfsopt CLI with args and returns its stdout and stderr;
// a run that fails fails t.
func (e *env) dfsopt(t *testing.T, args ...string) (stdout, stderr []byte) {
	t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "dfsopt"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("dfsopt %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.Bytes(), errOut.Bytes()
}

// ignoreHost exempts a server that is not a gateway from validation.
func (st *specTransport) ignoreHost(hostport string) { st.ignored.Store(hostport, true) }

func (st *specTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := st.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if _, skip := st.ignored.Load(req.URL.Host); skip {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	name, bad := st.check.violations(req, resp, body)
	st.n.Add(1)
	st.mu.Lock()
	st.seen[fmt.Sprintf("%s %d", strings.SplitN(name, " (", 2)[0], resp.StatusCode)]++
	st.mu.Unlock()
	if len(bad) > 0 {
		r := st.owner
		if rr, ok := req.Context().Value(reporterKey{}).(reporter); ok {
			r = rr
		}
		r.Helper()
		slices.Sort(bad)
		r.Errorf("answer does not conform to api/openapi.yaml: %s answered %d (%s):\n  %s\n  body: %.400s",
			name, resp.StatusCode, resp.Header.Get("Content-Type"), strings.Join(slices.Compact(bad), "\n  "), body)
	}
	return resp, nil
}
