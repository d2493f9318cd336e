package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
)

const (
	jwtSecret   = "e2e-jwt-secret-0123456789abcdef0123456789"
	jwtIssuer   = "https://idp.e2e.test"
	jwtAudience = "dfsopt-e2e"
)

// securityEnv is a Redis and the built gateway binary, for tests that run
// gateways only (no worker: submitted jobs stay queued).
func securityEnv(t *testing.T) *env {
	t.Helper()
	if os.Getenv("DFSOPT_E2E_SKIP") != "" {
		t.Skip("DFSOPT_E2E_SKIP is set")
	}
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	e := &env{t: t, bin: buildBinaries(t), client: specClient(t)}
	e.redisURL = startRedis(t)
	opt, err := redis.ParseURL(e.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	e.rdb = redis.NewClient(opt)
	t.Cleanup(func() { _ = e.rdb.Close() })
	return e
}

// startGatewayAt starts one more gateway on addr with extra environment
// and waits until it is ready.
func (e *env) startGatewayAt(t *testing.T, name, addr string, extra ...string) *proc {
	t.Helper()
	g := start(t, name, filepath.Join(e.bin, "gateway"), nil, append(append(e.commonEnv(),
		"DFSOPT_HTTP_ADDR="+addr, "DFSOPT_ADMIN_API_KEY="+adminKey, "DFSOPT_MAX_BODY_BYTES=1048576",
		"DFSOPT_READY_REQUIRE_WORKERS=false"), extra...)) // these tests run no worker
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := e.client.Get("http://" + addr + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g
			}
		}
		if time.Now().After(deadline) || g.exited() {
			t.Fatalf("%s not ready: %v\n%s", name, err, g.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// at returns a view of e aimed at another gateway address.
func (e *env) at(addr string) *env {
	c := *e
	c.gwAddr = addr
	return &c
}

func signed(t *testing.T, m jwt.SigningMethod, key any, kid string, mutate func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{"sub": "idp|alice", "iss": jwtIssuer, "aud": jwtAudience, "scope": "jobs:read jobs:write",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if mutate != nil {
		mutate(c)
	}
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearerH(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// TestSecurityAttacks runs the attack suite against two real gateway
// processes on one real Redis: forged, stale and misdirected credentials
// are refused with 401, missing scopes with 403 naming the scope, another
// principal's job with 404; nothing is ever 2xx. A revoked key stops
// working on the other replica at the next request. The gateways accept
// HS256 (DFSOPT_JWT_SECRET), RS256 from DFSOPT_JWT_PUBLIC_KEY_FILE and
// ES256 from a JWKS served on loopback.
func TestSecurityAttacks(t *testing.T) {
	e := securityEnv(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubFile := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(pubFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b64 := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.FillBytes(make([]byte, 32))) }
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "kid": "ec-1", "alg": "ES256", "use": "sig", "x": b64(ecKey.X), "y": b64(ecKey.Y),
		}}})
	}))
	defer jwks.Close()

	jwtEnv := []string{"DFSOPT_JWT_SECRET=" + jwtSecret, "DFSOPT_JWT_ISSUER=" + jwtIssuer, "DFSOPT_JWT_AUDIENCE=" + jwtAudience,
		"DFSOPT_JWT_PUBLIC_KEY_FILE=" + pubFile, "DFSOPT_JWT_JWKS_URL=" + jwks.URL + "/jwks.json", "DFSOPT_JWT_LEEWAY=5s",
		"DFSOPT_RATELIMIT_SUBMIT=1000/s", "DFSOPT_RATELIMIT_READ=1000/s"}
	e.gwAddr = freeAddr(t)
	addrB := freeAddr(t)
	gwA := e.startGatewayAt(t, "gateway A", e.gwAddr, jwtEnv...)
	gwB := e.startGatewayAt(t, "gateway B", addrB, jwtEnv...)
	b := e.at(addrB)

	reqBody, err := os.ReadFile(filepath.Join("testdata", "optimize-nba-tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Principals: a writer key with a queued job, a read-only key, and an
	// HS256 token exchanged for the writer key.
	newKey := func(name string, scopes ...string) (id, key string) {
		body, _ := json.Marshal(map[string]any{"name": name, "owner": "e2e", "scopes": scopes})
		st, _, rb := e.do(t, "POST", "/v1/admin/api-keys", adminKey, body, nil)
		if st != http.StatusCreated {
			t.Fatalf("create key: %d %s", st, rb)
		}
		var k struct{ ID, Key string }
		mustJSON(t, rb, &k)
		if !strings.HasPrefix(k.Key, "dfs_live_") {
			t.Fatalf("key %q lacks the dfs_live_ prefix", k.Key)
		}
		return k.ID, k.Key
	}
	_, writer := newKey("writer", "jobs:read", "jobs:write")
	_, reader := newKey("reader", "jobs:read")
	st, _, rb := e.do(t, "POST", "/v1/optimize", writer, reqBody, nil)
	if st != http.StatusAccepted {
		t.Fatalf("submit: %d %s", st, rb)
	}
	var job jobDoc
	mustJSON(t, rb, &job)
	st, _, rb = e.do(t, "POST", "/v1/auth/token", "", []byte(`{"api_key":"`+writer+`"}`), nil)
	if st != http.StatusOK {
		t.Fatalf("token exchange: %d %s", st, rb)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	mustJSON(t, rb, &tr)
	hsToken := tr.AccessToken

	// The genuine credentials work, on both replicas.
	for name, h := range map[string]map[string]string{
		"writer key":     {"X-API-Key": writer},
		"HS256 token":    bearerH(hsToken),
		"RS256 from PEM": bearerH(signed(t, jwt.SigningMethodRS256, rsaKey, "", nil)),
		"ES256 via JWKS": bearerH(signed(t, jwt.SigningMethodES256, ecKey, "ec-1", nil)),
	} {
		for _, g := range []*env{e, b} {
			if st, _, rb := g.do(t, "GET", "/v1/jobs", "", nil, h); st != http.StatusOK {
				t.Errorf("%s on %s: %d %s", name, g.gwAddr, st, rb)
			}
		}
	}
	// The HS256 token acts as the writer key: it sees the writer's job.
	if st, _, rb := b.do(t, "GET", "/v1/jobs/"+job.ID, "", nil, bearerH(hsToken)); st != http.StatusOK {
		t.Errorf("token of the writer key: %d %s", st, rb)
	}

	parts := strings.Split(hsToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tamperedPayload := strings.Replace(string(payload), `"scope":"jobs:read jobs:write"`, `"scope":"admin"`, 1)
	if tamperedPayload == string(payload) {
		t.Fatalf("cannot tamper with %s", payload)
	}
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	adminClaims := func(c jwt.MapClaims) { c["sub"], c["scope"] = "admin", "admin" }
	hs := func(mutate func(jwt.MapClaims)) map[string]string {
		return bearerH(signed(t, jwt.SigningMethodHS256, []byte(jwtSecret), "", func(c jwt.MapClaims) {
			if mutate != nil {
				mutate(c)
			}
		}))
	}
	if st, _, rb := e.do(t, "GET", "/v1/jobs", "", nil, hs(nil)); st != http.StatusOK {
		t.Fatalf("control HS256 token refused: %d %s", st, rb)
	}

	type attack struct {
		name, method, path string
		headers            map[string]string
		body               []byte
		status             int
		code, scope        string
	}
	attacks := []attack{
		{"no credentials", "GET", "/v1/jobs", nil, nil, 401, "unauthenticated", ""},
		{"no credentials, submit", "POST", "/v1/optimize", nil, reqBody, 401, "unauthenticated", ""},
		{"no credentials, admin", "GET", "/v1/admin/api-keys", nil, nil, 401, "unauthenticated", ""},
		{"garbled API key", "GET", "/v1/jobs", map[string]string{"X-API-Key": "dfs_live_%%%garbled"}, nil, 401, "unauthenticated", ""},
		{"API key with a flipped character", "GET", "/v1/jobs", map[string]string{"X-API-Key": writer[:len(writer)-1] + string(writer[len(writer)-1]^1)}, nil, 401, "unauthenticated", ""},
		{"garbled bearer", "GET", "/v1/jobs", bearerH("eyJ!!.garbled.token"), nil, 401, "unauthenticated", ""},
		{"Basic scheme", "GET", "/v1/jobs", map[string]string{"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}, nil, 401, "unauthenticated", ""},
		{"bearer without token", "GET", "/v1/jobs", map[string]string{"Authorization": "Bearer"}, nil, 401, "unauthenticated", ""},
		{"API key as bearer", "GET", "/v1/jobs", bearerH(writer), nil, 401, "unauthenticated", ""},
		{"alg none", "GET", "/v1/admin/api-keys", bearerH(noneHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(tamperedPayload)) + "."), nil, 401, "unauthenticated", ""},
		{"alg none, library-signed", "GET", "/v1/jobs", bearerH(signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", adminClaims)), nil, 401, "unauthenticated", ""},
		{"HS256 signed with the RS256 public key", "GET", "/v1/admin/api-keys", bearerH(signed(t, jwt.SigningMethodHS256, pubPEM, "", adminClaims)), nil, 401, "unauthenticated", ""},
		{"HS256 signed with the RS256 public key (DER)", "GET", "/v1/jobs", bearerH(signed(t, jwt.SigningMethodHS256, pubDER, "", nil)), nil, 401, "unauthenticated", ""},
		{"HS512 with the secret", "GET", "/v1/jobs", bearerH(signed(t, jwt.SigningMethodHS512, []byte(jwtSecret), "", nil)), nil, 401, "unauthenticated", ""},
		{"RS256 from another key", "GET", "/v1/jobs", bearerH(signed(t, jwt.SigningMethodRS256, mustRSA(t), "", nil)), nil, 401, "unauthenticated", ""},
		{"ES256 with an unknown kid", "GET", "/v1/jobs", bearerH(signed(t, jwt.SigningMethodES256, ecKey, "ec-unknown", nil)), nil, 401, "unauthenticated", ""},
		{"expired", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), nil, 401, "unauthenticated", ""},
		{"no exp", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { delete(c, "exp") }), nil, 401, "unauthenticated", ""},
		{"not yet valid", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() }), nil, 401, "unauthenticated", ""},
		{"issued in the future", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }), nil, 401, "unauthenticated", ""},
		{"wrong issuer", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }), nil, 401, "unauthenticated", ""},
		{"wrong audience", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { c["aud"] = "another-api" }), nil, 401, "unauthenticated", ""},
		{"no audience", "GET", "/v1/jobs", hs(func(c jwt.MapClaims) { delete(c, "aud") }), nil, 401, "unauthenticated", ""},
		{"tampered payload", "GET", "/v1/admin/api-keys", bearerH(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tamperedPayload)) + "." + parts[2]), nil, 401, "unauthenticated", ""},
		{"tampered signature", "GET", "/v1/jobs", bearerH(parts[0] + "." + parts[1] + "." + tamperFirst(parts[2])), nil, 401, "unauthenticated", ""},
		{"both credentials", "GET", "/v1/jobs", map[string]string{"X-API-Key": writer, "Authorization": "Bearer " + hsToken}, nil, 401, "unauthenticated", ""},
		{"another principal's job", "GET", "/v1/jobs/" + job.ID, map[string]string{"X-API-Key": reader}, nil, 404, "not_found", ""},
		{"another principal's result", "GET", "/v1/jobs/" + job.ID + "/result", map[string]string{"X-API-Key": reader}, nil, 404, "not_found", ""},
		{"cancel another principal's job", "DELETE", "/v1/jobs/" + job.ID, bearerH(signed(t, jwt.SigningMethodRS256, rsaKey, "", nil)), nil, 404, "not_found", ""},
		{"missing scope: submit with jobs:read", "POST", "/v1/optimize", map[string]string{"X-API-Key": reader}, reqBody, 403, "forbidden", "jobs:write"},
		{"missing scope: admin route", "GET", "/v1/admin/api-keys", bearerH(hsToken), nil, 403, "forbidden", "admin"},
		{"missing scope: critical priority", "POST", "/v1/optimize", map[string]string{"X-API-Key": writer},
			[]byte(strings.Replace(string(reqBody), `"priority": "default"`, `"priority": "critical"`, 1)), 403, "forbidden", "jobs:critical"},
		{"missing scope: calibrate", "POST", "/v1/calibrate", map[string]string{"X-API-Key": writer},
			[]byte(`{"sport":"nfl","rows":[{"player_id":"1","position":"QB","team":"KC","date":"2024-W01","projection":20,"actual":25}]}`), 403, "forbidden", "calibrate"},
		{"forged token exchange", "POST", "/v1/auth/token", nil, []byte(`{"api_key":"dfs_live_forged"}`), 401, "unauthenticated", ""},
	}
	for _, a := range attacks {
		for _, g := range []*env{e, b} {
			st, _, rb := g.do(t, a.method, a.path, "", a.body, a.headers)
			if st/100 == 2 {
				t.Errorf("%s on %s: answered %d %s", a.name, g.gwAddr, st, rb)
				continue
			}
			eb := expectError(t, a.name, st, rb, a.status, a.code)
			if a.scope != "" && !strings.Contains(eb.Error.Message, a.scope) {
				t.Errorf("%s: the 403 does not name %s: %s", a.name, a.scope, rb)
			}
		}
	}
	// The job the attacks aimed at is untouched.
	if j := e.get(t, writer, job.ID); j.Status != "queued" {
		t.Errorf("the writer's job is %s", j.Status)
	}

	t.Run("revoked key fails at the next request on the other replica", func(t *testing.T) {
		id, key := newKey("short-lived", "jobs:read")
		if st, _, rb := b.do(t, "GET", "/v1/jobs", key, nil, nil); st != http.StatusOK {
			t.Fatalf("before revocation: %d %s", st, rb)
		}
		if st, _, rb := e.do(t, "DELETE", "/v1/admin/api-keys/"+id, adminKey, nil, nil); st != http.StatusOK {
			t.Fatalf("revoke on A: %d %s", st, rb)
		}
		st, _, rb := b.do(t, "GET", "/v1/jobs", key, nil, nil)
		expectError(t, "revoked key on B", st, rb, http.StatusUnauthorized, "unauthenticated")
		st, _, rb = b.do(t, "POST", "/v1/auth/token", "", []byte(`{"api_key":"`+key+`"}`), nil)
		expectError(t, "token exchange with a revoked key", st, rb, http.StatusUnauthorized, "unauthenticated")
		// Listed as revoked, with its owner and last use; no secret.
		_, _, rb = e.do(t, "GET", "/v1/admin/api-keys", adminKey, nil, nil)
		var list struct {
			APIKeys []struct {
				ID, Owner  string
				RevokedAt  string `json:"revoked_at"`
				LastUsedAt string `json:"last_used_at"`
			} `json:"api_keys"`
		}
		mustJSON(t, rb, &list)
		found := false
		for _, k := range list.APIKeys {
			if k.ID == id {
				found = k.RevokedAt != "" && k.LastUsedAt != "" && k.Owner == "e2e"
			}
		}
		if !found || strings.Contains(string(rb), key) {
			t.Errorf("key listing: %s", rb)
		}
	})

	t.Run("dfsopt keys create, list, revoke", func(t *testing.T) {
		cli := func(args ...string) string {
			t.Helper()
			cmd := exec.Command(filepath.Join(e.bin, "dfsopt"), append([]string{"keys"}, args...)...)
			cmd.Env = append(os.Environ(), "DFSOPT_API_KEY="+adminKey)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("dfsopt keys %v: %v %s", args, err, out)
			}
			return string(out)
		}
		var k struct{ ID, Key string }
		mustJSON(t, []byte(cli("create", "--server", "http://"+addrB, "--name", "cli", "--owner", "ops", "--scopes", "jobs:read")), &k)
		if st, _, rb := e.do(t, "GET", "/v1/jobs", k.Key, nil, nil); st != http.StatusOK {
			t.Fatalf("CLI-made key: %d %s", st, rb)
		}
		if list := cli("list", "--server", "http://"+e.gwAddr); !strings.Contains(list, k.ID) || strings.Contains(list, k.Key) {
			t.Fatalf("list: %s", list)
		}
		cli("revoke", "--server", "http://"+e.gwAddr, k.ID)
		st, _, rb := b.do(t, "GET", "/v1/jobs", k.Key, nil, nil)
		expectError(t, "key revoked by the CLI", st, rb, http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("users exchange a password for a token", func(t *testing.T) {
		st, _, rb := e.do(t, "POST", "/v1/admin/users", adminKey, []byte(`{"username":"ann","password":"correct horse battery staple","scopes":["jobs:read"]}`), nil)
		if st != http.StatusCreated {
			t.Fatalf("create user: %d %s", st, rb)
		}
		st, _, rb = b.do(t, "POST", "/v1/auth/token", "", []byte(`{"username":"ann","password":"correct horse battery staple"}`), nil)
		if st != http.StatusOK {
			t.Fatalf("user token: %d %s", st, rb)
		}
		mustJSON(t, rb, &tr)
		if st, _, rb := e.do(t, "GET", "/v1/jobs/"+job.ID, "", nil, bearerH(tr.AccessToken)); st != http.StatusNotFound {
			t.Errorf("user sees the writer's job: %d %s", st, rb)
		}
		st, _, rb = b.do(t, "POST", "/v1/auth/token", "", []byte(`{"username":"ann","password":"wrong horse battery staple"}`), nil)
		expectError(t, "wrong password", st, rb, http.StatusUnauthorized, "unauthenticated")
		v, _ := e.rdb.HGetAll(context.Background(), "dfsopt:user:ann").Result()
		if !strings.HasPrefix(v["password_hash"], "$2") || strings.Contains(fmt.Sprint(v), "staple") {
			t.Errorf("the password is not stored as a bcrypt hash: %v", v)
		}
	})

	// Secrets never reach the logs; every state change has an audit line.
	for _, g := range []*proc{gwA, gwB} {
		logs := g.logs()
		for _, secret := range []string{writer, reader, hsToken, jwtSecret, adminKey, parts[2]} {
			if strings.Contains(logs, secret) {
				t.Errorf("%s logged a credential (%.12s…)", g.name, secret)
			}
		}
	}
	if !gwA.logHas(`"logger":"audit"`, `"action":"POST /v1/optimize"`, `"job_id":"`+job.ID+`"`, `"result":202`, `"request_id"`) {
		t.Errorf("no audit line for the submission:\n%s", gwA.logs())
	}
	if !gwB.logHas(`"logger":"audit"`, `"action":"DELETE /v1/jobs/:id"`, `"job_id":"`+job.ID+`"`, `"result":404`, `"principal":"ext:idp|alice"`) {
		t.Errorf("no audit line for the refused cancel on B")
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRateLimitTwoReplicas bursts submissions at two gateway processes on
// one Redis, from one principal, for a bounded time: the allowed count
// stays within 5 % of what the configured limit allows (burst + rate ×
// elapsed), because both replicas share the GCRA state in Redis. Then a
// 429's Retry-After is checked: a request just before it passes is still
// refused, one after it is allowed. Finally, with Redis gone, writes fail
// closed with 503.
func TestRateLimitTwoReplicas(t *testing.T) {
	e := securityEnv(t)
	const rate = 50 // per second, burst 50
	limits := []string{"DFSOPT_RATELIMIT_SUBMIT=" + strconv.Itoa(rate) + "/s", "DFSOPT_RATELIMIT_READ=20/m",
		"DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL=0", "DFSOPT_JWT_SECRET=" + jwtSecret, "DFSOPT_LOG_LEVEL=warn"}
	e.gwAddr = freeAddr(t)
	addrB := freeAddr(t)
	e.startGatewayAt(t, "gateway A", e.gwAddr, limits...)
	e.startGatewayAt(t, "gateway B", addrB, limits...)
	b := e.at(addrB)
	body, err := os.ReadFile(filepath.Join("testdata", "optimize-nba-tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, _, rb := e.do(t, "POST", "/v1/admin/api-keys", adminKey, []byte(`{"name":"burst"}`), nil)
	if st != http.StatusCreated {
		t.Fatalf("create key: %d %s", st, rb)
	}
	var k struct{ Key string }
	mustJSON(t, rb, &k)

	const window = 4 * time.Second
	var allowed, limited, other atomic.Int64
	perReplica := map[string]*atomic.Int64{e.gwAddr: {}, addrB: {}}
	var firstMu sync.Mutex
	var first time.Time
	client := &http.Client{Timeout: 10 * time.Second, Transport: newSpecTransport(t, &http.Transport{MaxIdleConnsPerHost: 16})}
	start := time.Now()
	var wg sync.WaitGroup
	for _, addr := range []string{e.gwAddr, addrB} {
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < window {
					req, _ := http.NewRequest("POST", "http://"+addr+"/v1/optimize", strings.NewReader(string(body)))
					req.Header.Set("X-API-Key", k.Key)
					sent := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						other.Add(1)
						continue
					}
					resp.Body.Close()
					switch resp.StatusCode {
					case http.StatusAccepted:
						allowed.Add(1)
						perReplica[addr].Add(1)
						firstMu.Lock()
						if first.IsZero() || sent.Before(first) {
							first = sent
						}
						firstMu.Unlock()
					case http.StatusTooManyRequests:
						limited.Add(1)
						if resp.Header.Get("Retry-After") == "" {
							other.Add(1)
						}
					default:
						other.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(first)
	want := float64(rate) + float64(rate)*elapsed.Seconds()
	got := float64(allowed.Load())
	t.Logf("two replicas, %d/s burst %d, %.2fs: allowed %d (A %d, B %d; expected %.0f, %+.1f%%), refused %d, errors %d; combined allowed rate after the burst %.1f/s",
		rate, rate, elapsed.Seconds(), allowed.Load(), perReplica[e.gwAddr].Load(), perReplica[addrB].Load(), want, 100*(got-want)/want,
		limited.Load(), other.Load(), (got-rate)/elapsed.Seconds())
	if perReplica[e.gwAddr].Load() == 0 || perReplica[addrB].Load() == 0 {
		t.Error("one replica allowed nothing: the test did not exercise both")
	}
	if other.Load() != 0 {
		t.Errorf("%d answers were neither 202 nor 429 with Retry-After", other.Load())
	}
	if limited.Load() == 0 {
		t.Fatal("the burst never hit the limit: the offered load was too low to test it")
	}
	if d := (got - want) / want; d > 0.05 || d < -0.05 {
		t.Errorf("allowed %v, want %.0f ± 5%%", got, want)
	}

	t.Run("Retry-After is honest", func(t *testing.T) {
		// READ is 20/m: one request per 3 s once the burst of 20 is used.
		st, _, rb := e.do(t, "POST", "/v1/admin/api-keys", adminKey, []byte(`{"name":"reader"}`), nil)
		if st != http.StatusCreated {
			t.Fatalf("create key: %d %s", st, rb)
		}
		var rk struct{ Key string }
		mustJSON(t, rb, &rk)
		for i := range 20 {
			g := []*env{e, b}[i%2]
			if st, h, rb := g.do(t, "GET", "/v1/jobs", rk.Key, nil, nil); st != http.StatusOK || h.Get("RateLimit-Policy") != `"read";q=20;w=60` {
				t.Fatalf("read %d: %d %v %s", i, st, h, rb)
			}
		}
		st, h, rb := b.do(t, "GET", "/v1/jobs", rk.Key, nil, nil)
		expectError(t, "21st read", st, rb, http.StatusTooManyRequests, "rate_limited")
		ra, err := strconv.Atoi(h.Get("Retry-After"))
		if err != nil || ra < 2 || ra > 3 {
			t.Fatalf("Retry-After %q, want 3 (one read per 3 s)", h.Get("Retry-After"))
		}
		refusedAt := time.Now()
		if !strings.Contains(h.Get("RateLimit"), `r=0`) {
			t.Errorf("RateLimit %q on a 429", h.Get("RateLimit"))
		}
		time.Sleep(time.Until(refusedAt.Add(time.Duration(ra)*time.Second - 1200*time.Millisecond)))
		st, _, rb = e.do(t, "GET", "/v1/jobs", rk.Key, nil, nil)
		expectError(t, "read before Retry-After passed", st, rb, http.StatusTooManyRequests, "rate_limited")
		time.Sleep(time.Until(refusedAt.Add(time.Duration(ra) * time.Second)))
		if st, _, rb := e.do(t, "GET", "/v1/jobs", rk.Key, nil, nil); st != http.StatusOK {
			t.Fatalf("read after Retry-After: %d %s", st, rb)
		}
	})

	t.Run("writes fail closed without Redis", func(t *testing.T) {
		st, _, rb := e.do(t, "POST", "/v1/auth/token", "", []byte(`{"api_key":"`+k.Key+`"}`), nil)
		if st != http.StatusOK {
			t.Fatalf("token: %d %s", st, rb)
		}
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		mustJSON(t, rb, &tr)
		_ = e.rdb.ShutdownNoSave(context.Background()).Err() // the connection drops: no answer expected
		time.Sleep(200 * time.Millisecond)
		for _, g := range []*env{e, b} {
			st, _, rb := g.do(t, "POST", "/v1/optimize", "", body, bearerH(tr.AccessToken))
			eb := expectError(t, "write with Redis down", st, rb, http.StatusServiceUnavailable, "unavailable")
			if !strings.Contains(eb.Error.Message, "rate limiter") {
				t.Errorf("503 does not say the limiter is down: %s", rb)
			}
		}
	})
}

// tamperFirst changes the first character of a base64url signature, which
// always changes its first decoded byte (upper-casing a prefix, the former
// way, left signatures with no lower-case letter there unchanged: about
// one token in 70).
func tamperFirst(sig string) string {
	c := byte('A')
	if sig[0] == 'A' {
		c = 'B'
	}
	return string(c) + sig[1:]
}
