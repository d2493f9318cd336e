package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/ratelimit"
)

// doH sends a request with extra headers.
func (f *fixture) doH(method, path string, h map[string]string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func (f *fixture) key(t *testing.T, scopes ...string) (string, string) {
	t.Helper()
	k, key, err := f.keys.Create(context.Background(), "k", "tests", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID, key
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestCredentials(t *testing.T) {
	f := newFixture(t)
	_, key := f.key(t, auth.ScopeJobsRead)
	tok, _, err := f.tokens.Issue(auth.Principal{ID: "user:ann", Scopes: []string{auth.ScopeJobsRead}})
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]map[string]string{
		"api key": {"X-API-Key": key},
		"bearer":  bearer(tok),
		"BEARER":  {"Authorization": "BEARER " + tok},
	} {
		if w := f.doH("GET", "/v1/jobs", h, nil); w.Code != 200 {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	for name, h := range map[string]map[string]string{
		"none":            {},
		"basic":           {"Authorization": "Basic YWRtaW46YWRtaW4="},
		"bearer no token": {"Authorization": "Bearer"},
		"bearer blank":    {"Authorization": "Bearer   "},
		"garbled token":   bearer("eyJ.garbage.x"),
		"key as bearer":   bearer(key),
		"token as key":    {"X-API-Key": tok},
		"both":            {"X-API-Key": key, "Authorization": "Bearer " + tok},
		"garbled key":     {"X-API-Key": "dfs_live_\x00\xff"},
	} {
		w := f.doH("GET", "/v1/jobs", h, nil)
		if b := decodeError(t, w); w.Code != 401 || b.Error.Code != CodeUnauthenticated {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}

func TestScopes(t *testing.T) {
	f := newFixture(t)
	_, writer := f.key(t, auth.ScopeJobsWrite, auth.ScopeJobsRead)
	critical := strings.Replace(validBody, `"lineups":1`, `"lineups":1,"priority":"critical"`, 1)
	row := `{"player_id":"1","position":"QB","team":"KC","date":"2024-W01","projection":20,"actual":25}`
	for name, c := range map[string]struct{ path, body, scope string }{
		"critical priority": {"/v1/optimize", critical, auth.ScopeJobsCritical},
		"calibrate":         {"/v1/calibrate", `{"sport":"nfl","rows":[` + row + `]}`, auth.ScopeCalibrate},
		"admin":             {"/v1/admin/api-keys", `{"name":"x"}`, auth.ScopeAdmin},
	} {
		w := f.do("POST", c.path, writer, strings.NewReader(c.body))
		b := decodeError(t, w)
		if w.Code != 403 || !strings.Contains(b.Error.Message, c.scope) || len(b.Error.Details) != 1 || b.Error.Details[0].Reason != c.scope {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	_, crit := f.key(t, auth.ScopeJobsWrite, auth.ScopeJobsCritical)
	if w := f.do("POST", "/v1/optimize", crit, strings.NewReader(critical)); w.Code != 202 {
		t.Errorf("with jobs:critical: %d %s", w.Code, w.Body)
	}
}

func TestAdminSeesAllJobs(t *testing.T) {
	f := newFixture(t)
	_, key := f.key(t)
	w := f.do("POST", "/v1/optimize", key, strings.NewReader(validBody))
	var j jobstore.Job
	if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil || w.Code != 202 {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/v1/jobs/"+j.ID, admin, nil); w.Code != 200 {
		t.Fatalf("admin get: %d", w.Code)
	}
	if w := f.do("GET", "/v1/jobs", admin, nil); !strings.Contains(w.Body.String(), j.ID) {
		t.Fatalf("admin list: %s", w.Body)
	}
	if w := f.do("DELETE", "/v1/jobs/"+j.ID, admin, nil); w.Code != 200 || !strings.Contains(w.Body.String(), "canceled") {
		t.Fatalf("admin cancel: %d %s", w.Code, w.Body)
	}
}

func TestActiveJobLimit(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, _ *fixture) { d.Jobs.LimitActive(2) })
	_, key := f.key(t)
	var ids []string
	for range 2 {
		w := f.do("POST", "/v1/optimize", key, strings.NewReader(validBody))
		var j jobstore.Job
		_ = json.Unmarshal(w.Body.Bytes(), &j)
		if w.Code != 202 {
			t.Fatalf("submit: %d %s", w.Code, w.Body)
		}
		ids = append(ids, j.ID)
	}
	w := f.do("POST", "/v1/optimize", key, strings.NewReader(validBody))
	if b := decodeError(t, w); w.Code != 429 || b.Error.Code != CodeRateLimited || b.Error.Details[0].Reason != "too_many_active_jobs" {
		t.Fatalf("third job: %d %s", w.Code, w.Body)
	}
	// Other principals are not affected; a finished job frees its slot.
	if w := f.do("POST", "/v1/optimize", admin, strings.NewReader(validBody)); w.Code != 202 {
		t.Fatalf("admin: %d", w.Code)
	}
	if w := f.do("DELETE", "/v1/jobs/"+ids[0], key, nil); w.Code != 200 {
		t.Fatalf("cancel: %d", w.Code)
	}
	if w := f.do("POST", "/v1/optimize", key, strings.NewReader(validBody)); w.Code != 202 {
		t.Fatalf("after a cancel: %d %s", w.Code, w.Body)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, f *fixture) {
		d.Limiter = ratelimit.New(f.redis.Client)
		d.Limits = Limits{Submit: ratelimit.Limit{Rate: 2, Period: time.Minute}, Read: ratelimit.Limit{Rate: 3, Period: time.Second}}
	})
	_, key := f.key(t)
	for i := range 2 {
		w := f.do("POST", "/v1/optimize", key, strings.NewReader(validBody))
		if w.Code != 202 || w.Header().Get("RateLimit-Policy") != `"submit";q=2;w=60` ||
			w.Header().Get("RateLimit") != `"submit";r=`+strconv.Itoa(1-i)+`;t=`+strconv.Itoa(30*(i+1)) ||
			w.Header().Get("RateLimit-Remaining") != strconv.Itoa(1-i) {
			t.Fatalf("submit %d: %d %v", i, w.Code, w.Header())
		}
	}
	w := f.do("POST", "/v1/optimize", key, strings.NewReader(validBody))
	b := decodeError(t, w)
	if w.Code != 429 || b.Error.Code != CodeRateLimited || w.Header().Get("Retry-After") != "30" {
		t.Fatalf("over the limit: %d %v %s", w.Code, w.Header(), w.Body)
	}
	// Reads have their own budget; probes none.
	if w := f.do("GET", "/v1/jobs", key, nil); w.Code != 200 || w.Header().Get("RateLimit-Policy") != `"read";q=3;w=1` {
		t.Fatalf("read: %d %v", w.Code, w.Header())
	}
	for range 20 {
		if w := f.do("GET", "/live", "", nil); w.Code != 200 || w.Header().Get("RateLimit") != "" {
			t.Fatalf("probe limited: %d", w.Code)
		}
	}
	// Token exchange is limited per client address.
	for i := range 3 {
		w := f.do("POST", "/v1/auth/token", "", strings.NewReader(`{"api_key":"dfs_live_nope"}`))
		if want := []int{401, 401, 429}[i]; w.Code != want {
			t.Fatalf("token exchange %d: %d, want %d", i, w.Code, want)
		}
	}
	// Redis down: writes fail closed (503), reads are not refused by the
	// limiter (a bearer principal needs no Redis to authenticate).
	tok, _, _ := f.tokens.Issue(auth.Principal{ID: "user:z", Scopes: auth.DefaultScopes()})
	f.redis.Stop(t)
	w = f.doH("POST", "/v1/optimize", bearer(tok), strings.NewReader(validBody))
	if b := decodeError(t, w); w.Code != 503 || !strings.Contains(b.Error.Message, "rate limiter") {
		t.Fatalf("write with Redis down: %d %s", w.Code, w.Body)
	}
}

func TestTokenExchange(t *testing.T) {
	f := newFixture(t)
	_, key := f.key(t, auth.ScopeJobsRead)
	w := f.do("POST", "/v1/auth/token", "", strings.NewReader(`{"api_key":"`+key+`"}`))
	var tr tokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || w.Code != 200 || tr.TokenType != "Bearer" || tr.Scope != "jobs:read" || tr.ExpiresIn != 60 {
		t.Fatalf("exchange: %d %s", w.Code, w.Body)
	}
	if w := f.doH("GET", "/v1/jobs", bearer(tr.AccessToken), nil); w.Code != 200 {
		t.Fatalf("token use: %d", w.Code)
	}
	if w := f.doH("POST", "/v1/optimize", bearer(tr.AccessToken), strings.NewReader(validBody)); w.Code != 403 {
		t.Fatalf("read-only token submitted: %d", w.Code)
	}
	// Users: created by an admin, password exchanged for a token.
	if w := f.do("POST", "/v1/admin/users", admin, strings.NewReader(`{"username":"ann","password":"correct horse battery","scopes":["jobs:read","jobs:write"]}`)); w.Code != 201 || strings.Contains(w.Body.String(), "horse") {
		t.Fatalf("create user: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/v1/admin/users", admin, strings.NewReader(`{"username":"ann","password":"correct horse battery"}`)); w.Code != 409 {
		t.Fatalf("duplicate user: %d", w.Code)
	}
	w = f.do("POST", "/v1/auth/token", "", strings.NewReader(`{"username":"ann","password":"correct horse battery"}`))
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || w.Code != 200 || tr.Scope != "jobs:read jobs:write" {
		t.Fatalf("user exchange: %d %s", w.Code, w.Body)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tr.AccessToken, claims); err != nil || claims["sub"] != "user:ann" {
		t.Fatalf("claims %v %v", claims, err)
	}
	for _, body := range []string{
		`{"username":"ann","password":"wrong horse battery"}`, `{"username":"bob","password":"correct horse battery"}`,
		`{"api_key":"dfs_live_forged"}`,
	} {
		if w := f.do("POST", "/v1/auth/token", "", strings.NewReader(body)); w.Code != 401 {
			t.Errorf("%s: %d", body, w.Code)
		}
	}
	for _, body := range []string{`{}`, `{"api_key":"x","username":"ann"}`, `{"apikey":"x"}`, `{"api_key":"x"} trailing`} {
		if w := f.do("POST", "/v1/auth/token", "", strings.NewReader(body)); w.Code != 400 {
			t.Errorf("%s: %d", body, w.Code)
		}
	}
	if w := f.do("DELETE", "/v1/admin/users/ann", admin, nil); w.Code != 204 {
		t.Fatalf("delete user: %d", w.Code)
	}
	if w := f.do("POST", "/v1/auth/token", "", strings.NewReader(`{"username":"ann","password":"correct horse battery"}`)); w.Code != 401 {
		t.Fatalf("deleted user: %d", w.Code)
	}
}

func TestStrictJSONNamesUnknownField(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/v1/admin/api-keys", admin, strings.NewReader(`{"name":"x","scopez":["admin"]}`))
	b := decodeError(t, w)
	if w.Code != 400 || len(b.Error.Details) != 1 || b.Error.Details[0].Field != "scopez" || b.Error.Details[0].Reason != "unknown_field" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestCORSAndSecurityHeaders(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, _ *fixture) { d.CORSOrigins = []string{"https://app.example.com"} })
	pre := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
	w := f.doH("OPTIONS", "/v1/optimize", pre, nil)
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	pre["Origin"] = "https://evil.example.com"
	if w := f.doH("OPTIONS", "/v1/optimize", pre, nil); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign preflight: %d %v", w.Code, w.Header())
	}
	w = f.doH("GET", "/v1/jobs", map[string]string{"Origin": "https://evil.example.com", "X-API-Key": admin}, nil)
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign origin allowed: %v", w.Header())
	}
	w = f.doH("GET", "/v1/jobs", map[string]string{"Origin": "https://app.example.com", "X-API-Key": admin}, nil)
	if w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "RateLimit") {
		t.Fatalf("listed origin: %v", w.Header())
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer"} {
		if w.Header().Get(h) != want {
			t.Errorf("%s = %q", h, w.Header().Get(h))
		}
	}
	// Without configuration no origin is allowed, and "*" only when set.
	if w := newFixture(t).doH("OPTIONS", "/v1/jobs", pre, nil); w.Code != 403 {
		t.Errorf("default preflight: %d", w.Code)
	}
	any := newFixtureWith(t, func(d *Deps, _ *fixture) { d.CORSOrigins = []string{"*"} })
	if w := any.doH("OPTIONS", "/v1/jobs", pre, nil); w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("wildcard preflight: %d %v", w.Code, w.Header())
	}
}

func TestAuditLine(t *testing.T) {
	f := newFixture(t)
	id, key := f.key(t)
	w := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": key, "X-Request-ID": "audit-1"}, strings.NewReader(validBody))
	var j jobstore.Job
	_ = json.Unmarshal(w.Body.Bytes(), &j)
	f.doH("DELETE", "/v1/jobs/"+j.ID, map[string]string{"X-API-Key": key, "X-Request-ID": "audit-2"}, nil)
	f.doH("GET", "/v1/jobs", map[string]string{"X-API-Key": key}, nil)
	f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": "dfs_live_bad", "X-Request-ID": "audit-3"}, strings.NewReader(validBody))
	lines := strings.Split(strings.TrimSpace(f.audit.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 audit lines (GET is not audited), got:\n%s", f.audit)
	}
	want := []map[string]any{
		{"logger": "audit", "principal": id, "action": "POST /v1/optimize", "job_id": j.ID, "result": 202.0, "request_id": "audit-1"},
		{"principal": id, "action": "DELETE /v1/jobs/:id", "job_id": j.ID, "result": 200.0, "request_id": "audit-2"},
		{"principal": "anonymous", "action": "POST /v1/optimize", "result": 401.0, "request_id": "audit-3"},
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, m[k], v)
			}
		}
	}
	if strings.Contains(f.audit.String(), key) || strings.Contains(f.audit.String(), "dfs_live_bad") {
		t.Error("the audit log holds a key")
	}
}

// FuzzAuthHeader: whatever the X-API-Key and Authorization headers hold,
// the API answers 401 (never another 2xx, never 5xx), except for the two
// real credentials seeded (the admin key and a token signed with the
// fixture's secret; both fixed, since every fuzz worker builds its own
// fixture).
func FuzzAuthHeader(f *testing.F) {
	fx := newFixture(f)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{Scope: "jobs:read", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "user:fuzz", Issuer: "dfsopt", Audience: jwt.ClaimStrings{"dfsopt-api"},
		ExpiresAt: jwt.NewNumericDate(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)),
	}}).SignedString(testJWTSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("", "")
	f.Add(admin, "")
	f.Add("", "Bearer "+tok)
	f.Add(admin+"x", "")
	f.Add("dfs_live_", "Bearer ")
	f.Add("", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")
	f.Add("", "Basic "+tok)
	f.Add(admin, "Bearer "+tok)
	f.Fuzz(func(t *testing.T, apiKey, authz string) {
		// Header values an HTTP server refuses before any handler are out
		// of scope.
		if strings.ContainsAny(apiKey+authz, "\r\n\x00") {
			return
		}
		req := httptest.NewRequest("GET", "/v1/jobs", nil)
		if apiKey != "" {
			req.Header.Set("X-API-Key", apiKey)
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, req)
		scheme, cred, _ := strings.Cut(authz, " ")
		real := (apiKey == admin && authz == "") ||
			(apiKey == "" && strings.EqualFold(scheme, "bearer") && strings.TrimSpace(cred) == tok)
		if !(w.Code == http.StatusOK && real) && w.Code != http.StatusUnauthorized {
			t.Fatalf("X-API-Key %q, Authorization %q: %d %s", apiKey, authz, w.Code, w.Body)
		}
	})
}

// TestRateLimitExempt: a principal listed in Limits.Exempt passes both
// classes unmetered (no RateLimit headers), single and batch submissions,
// while another principal with the same budget is refused.
func TestRateLimitExempt(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, f *fixture) {
		d.Limiter = ratelimit.New(f.redis.Client)
		d.Limits = Limits{Submit: ratelimit.Limit{Rate: 1, Period: time.Minute}, Read: ratelimit.Limit{Rate: 1, Period: time.Minute},
			Exempt: []string{"user:loadtest"}}
		d.Jobs.LimitActive(0)
	})
	exempt, _, _ := f.tokens.Issue(auth.Principal{ID: "user:loadtest", Scopes: auth.DefaultScopes()})
	other, _, _ := f.tokens.Issue(auth.Principal{ID: "user:other", Scopes: auth.DefaultScopes()})
	for i := range 3 {
		if w := f.doH("POST", "/v1/optimize", bearer(exempt), strings.NewReader(validBody)); w.Code != 202 || w.Header().Get("RateLimit") != "" {
			t.Fatalf("exempt submit %d: %d %v", i, w.Code, w.Header())
		}
		if w := f.doH("GET", "/v1/jobs", bearer(exempt), nil); w.Code != 200 {
			t.Fatalf("exempt read %d: %d", i, w.Code)
		}
	}
	batch := `{"jobs":[{"type":"optimize","request":` + validBody + `},{"type":"optimize","request":` + validBody + `}]}`
	if w := f.doH("POST", "/v1/batch", bearer(exempt), strings.NewReader(batch)); w.Code != 207 || strings.Contains(w.Body.String(), "rate_limited") {
		t.Fatalf("exempt batch: %d %s", w.Code, w.Body)
	}
	codes := []int{}
	for range 2 {
		codes = append(codes, f.doH("POST", "/v1/optimize", bearer(other), strings.NewReader(validBody)).Code)
	}
	if codes[0] != 202 || codes[1] != 429 {
		t.Fatalf("other principal: %v, want [202 429]", codes)
	}
}
