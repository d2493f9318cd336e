package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/neo4jstore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/redisstore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/storetest"
)

// slateFixture serves the slate routes over a real Redis slate store.
type slateFixture struct {
	h   http.Handler
	srv *redistest.Server
	st  slatestore.Store
}

func newSlateFixture(t *testing.T) *slateFixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	srv := redistest.New(t)
	// No retries and short time-outs: the store-down case must answer fast.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 500 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	st := redisstore.New(rdb)
	r := gin.New()
	r.ContextWithFallback = true
	r.Use(requestContext(zap.NewNop()), recovery(), limitBody(16<<20))
	registerSlates(r.Group("/v1", authenticate(Deps{Auth: auth.NewAuthenticator(admin, auth.NewKeyStore(srv.Client))})), st)
	return &slateFixture{h: r, srv: srv, st: st}
}

// form builds a multipart body from files (field -> path) and values.
func form(t *testing.T, files map[string]string, values map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for field, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := w.CreateFormFile(field, filepath.Base(path))
		_, _ = p.Write(b)
	}
	for k, v := range values {
		_ = w.WriteField(k, v)
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

func (f *slateFixture) post(t *testing.T, path, key string, files, values map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	body, ctype := form(t, files, values)
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-API-Key", key)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func (f *slateFixture) get(path, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-API-Key", key)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func TestSlatesImportGetList(t *testing.T) {
	f := newSlateFixture(t)
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nba-2025-01-12")
	files := map[string]string{"salaries": filepath.Join(dir, "DKSalaries.csv"), "projections": filepath.Join(dir, "projections.csv")}
	w := f.post(t, "/v1/slates", admin, files, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	var res slatestore.ImportResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || !slatestore.ValidID(res.ID) || res.Players < 50 ||
		res.Sport != "nba" || res.Site != "draftkings" || res.Mode != "classic" || res.ProjectionSource != "projections.csv" {
		t.Fatalf("import answer (%v): %s", err, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "/v1/slates/"+res.ID {
		t.Fatalf("location %q", loc)
	}
	if !bytes.Contains(w.Body.Bytes(), []byte(`"unmatched_projections":[`)) {
		t.Fatalf("no unmatched_projections list: %s", w.Body)
	}
	// The same files again: the same slate, not stored twice.
	w = f.post(t, "/v1/slates", admin, files, nil)
	var again slatestore.ImportResult
	_ = json.Unmarshal(w.Body.Bytes(), &again)
	if w.Code != http.StatusOK || again.ID != res.ID || again.Created {
		t.Fatalf("re-import: %d %s", w.Code, w.Body)
	}
	w = f.get("/v1/slates/"+res.ID, admin)
	var got slatestore.Slate
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil || got.ID != res.ID || len(got.Players) != res.Players {
		t.Fatalf("get: %d %v", w.Code, err)
	}
	w = f.get("/v1/slates?sport=nba", admin)
	var l struct{ Slates []slatestore.Summary }
	if err := json.Unmarshal(w.Body.Bytes(), &l); w.Code != http.StatusOK || err != nil || len(l.Slates) != 1 || l.Slates[0].ID != res.ID {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	for path, code := range map[string]int{
		"/v1/slates/sl_00000000000000000000000000000000": http.StatusNotFound,
		"/v1/slates/whatever":                            http.StatusNotFound,
		"/v1/slates?sport=curling":                       http.StatusUnprocessableEntity,
		"/v1/slates?limit=0":                             http.StatusUnprocessableEntity,
	} {
		if w := f.get(path, admin); w.Code != code {
			t.Errorf("GET %s: %d, want %d: %s", path, w.Code, code, w.Body)
		} else {
			decodeError(t, w)
		}
	}
}

func TestSlatesImportErrors(t *testing.T) {
	f := newSlateFixture(t)
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nba-2025-01-12")
	sal := filepath.Join(dir, "DKSalaries.csv")
	tests := []struct {
		name   string
		files  map[string]string
		values map[string]string
		code   int
		field  string
	}{
		{"no salaries", map[string]string{"projections": filepath.Join(dir, "projections.csv")}, nil, http.StatusUnprocessableEntity, "salaries"},
		{"not a salary file", map[string]string{"salaries": filepath.Join(dir, "payouts-20K-Four-Point-Play.csv")}, nil, http.StatusUnprocessableEntity, "salaries"},
		{"not a projections file", map[string]string{"salaries": sal, "projections": filepath.Join(dir, "payouts-20K-Four-Point-Play.csv")}, nil, http.StatusUnprocessableEntity, "projections"},
		{"bad sport", map[string]string{"salaries": sal}, map[string]string{"sport": "curling"}, http.StatusUnprocessableEntity, "sport"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.post(t, "/v1/slates", admin, tc.files, tc.values)
			if w.Code != tc.code {
				t.Fatalf("%d, want %d: %s", w.Code, tc.code, w.Body)
			}
			b := decodeError(t, w)
			if len(b.Error.Details) != 1 || b.Error.Details[0].Field != tc.field {
				t.Fatalf("details %+v, want the field %s", b.Error.Details, tc.field)
			}
		})
	}
	// JSON is not a slate import.
	req := httptest.NewRequest(http.MethodPost, "/v1/slates", bytes.NewBufferString(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", admin)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	if w.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("json body: %d %s", w.Code, w.Body)
	}
	// A key without slates:write may read but not import.
	_, key, err := auth.NewKeyStore(f.srv.Client).Create(context.Background(), "reader", "", auth.DefaultScopes())
	if err != nil {
		t.Fatal(err)
	}
	if w := f.post(t, "/v1/slates", key, map[string]string{"salaries": sal}, nil); w.Code != http.StatusForbidden {
		t.Fatalf("import without slates:write: %d %s", w.Code, w.Body)
	}
	if w := f.get("/v1/slates", key); w.Code != http.StatusOK {
		t.Fatalf("list with jobs:read: %d %s", w.Code, w.Body)
	}
}

// TestSlatesOutcomes loads the real NFL actuals after importing the slate.
func TestSlatesOutcomes(t *testing.T) {
	f := newSlateFixture(t)
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nfl-2019-09-08")
	proj := filepath.Join(dir, "projections_with_actuals.csv")
	w := f.post(t, "/v1/slates", admin, map[string]string{"salaries": filepath.Join(dir, "DKSalaries.csv"), "projections": proj}, nil)
	var res slatestore.ImportResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); w.Code != http.StatusCreated || err != nil {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	w = f.post(t, "/v1/slates/"+res.ID+"/outcomes", admin, map[string]string{"outcomes": proj}, nil)
	var oc slatestore.OutcomesResult
	if err := json.Unmarshal(w.Body.Bytes(), &oc); w.Code != http.StatusOK || err != nil || oc.Outcomes < 100 {
		t.Fatalf("outcomes: %d %s", w.Code, w.Body)
	}
	rows, err := f.st.History(context.Background(), []string{res.ID})
	if err != nil || len(rows) != oc.Outcomes {
		t.Fatalf("history: %d rows %v, want %d", len(rows), err, oc.Outcomes)
	}
	if w := f.post(t, "/v1/slates/"+res.ID+"/outcomes", admin, map[string]string{"outcomes": filepath.Join(dir, "DKSalaries.csv")}, nil); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a file without actual points: %d %s", w.Code, w.Body)
	}
}

// TestSlatesStoreDown: with the store gone the slate routes answer 503 with
// the error body, quickly.
func TestSlatesStoreDown(t *testing.T) {
	f := newSlateFixture(t)
	f.srv.Stop(t)
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nba-2025-01-12")
	start := time.Now()
	for _, w := range []*httptest.ResponseRecorder{
		f.post(t, "/v1/slates", admin, map[string]string{"salaries": filepath.Join(dir, "DKSalaries.csv")}, nil),
		f.get("/v1/slates/sl_00000000000000000000000000000000", admin),
		f.get("/v1/slates", admin),
	} {
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("store down: %d %s", w.Code, w.Body)
		}
		if b := decodeError(t, w); b.Error.Code != CodeUnavailable {
			t.Fatalf("code %s", b.Error.Code)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("three requests with the store down took %v", d)
	}
}

// TestSlatesNeo4jDown: with a Neo4j store whose server is not there, the
// slate routes answer 503 with the error body within the store's time-out.
func TestSlatesNeo4jDown(t *testing.T) {
	gin.SetMode(gin.TestMode)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	st, err := neo4jstore.New(neo4jstore.Options{URI: "bolt://" + addr, User: "neo4j", Password: "unused-pw", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	srv := redistest.New(t)
	r := gin.New()
	r.ContextWithFallback = true
	r.Use(requestContext(zap.NewNop()), recovery(), limitBody(16<<20))
	registerSlates(r.Group("/v1", authenticate(Deps{Auth: auth.NewAuthenticator(admin, auth.NewKeyStore(srv.Client))})), st)
	f := &slateFixture{h: r, srv: srv, st: st}
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nba-2025-01-12")
	for name, do := range map[string]func() *httptest.ResponseRecorder{
		"import": func() *httptest.ResponseRecorder {
			return f.post(t, "/v1/slates", admin, map[string]string{"salaries": filepath.Join(dir, "DKSalaries.csv")}, nil)
		},
		"get": func() *httptest.ResponseRecorder {
			return f.get("/v1/slates/sl_00000000000000000000000000000000", admin)
		},
		"list": func() *httptest.ResponseRecorder { return f.get("/v1/slates", admin) },
	} {
		start := time.Now()
		w := do()
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		if b := decodeError(t, w); b.Error.Code != CodeUnavailable {
			t.Fatalf("%s: code %s", name, b.Error.Code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s took %v with a 1 s time-out", name, d)
		}
	}
}

// nilListStore answers no slates as a nil slice, as the Neo4j store does.
type nilListStore struct{ slatestore.Store }

func (nilListStore) List(context.Context, slatestore.ListOptions) ([]slatestore.Summary, error) {
	return nil, nil
}

// TestSlatesListEmptyIsArray: no slates is "slates": [] (SlateList says
// array), whatever slice the store answers.
func TestSlatesListEmptyIsArray(t *testing.T) {
	f := newSlateFixture(t)
	r := gin.New()
	r.ContextWithFallback = true
	r.Use(requestContext(zap.NewNop()), recovery())
	registerSlates(r.Group("/v1", authenticate(Deps{Auth: auth.NewAuthenticator(admin, auth.NewKeyStore(f.srv.Client))})), nilListStore{f.st})
	f.h = r
	w := f.get("/v1/slates", admin)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got := w.Body.String(); got != `{"slates":[]}` {
		t.Fatalf("body %s, want {\"slates\":[]}", got)
	}
}
