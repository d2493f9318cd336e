package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSlatesUsage(t *testing.T) {
	dir := t.TempDir()
	sal := filepath.Join(dir, "DKSalaries.csv")
	_ = os.WriteFile(sal, []byte("Position,Name,ID\n"), 0o644)
	t.Setenv("DFSOPT_API_KEY", "")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"slates"}, exitUsage, "usage: dfsopt slates"},
		{[]string{"slates", "help"}, exitOK, "import"},
		{[]string{"slates", "export"}, exitUsage, "unknown command"},
		{[]string{"slates", "import", "--server", "http://x", "--api-key", "k"}, exitUsage, "--salaries is required"},
		{[]string{"slates", "import", "--salaries", sal}, exitUsage, "--server and --api-key"},
		{[]string{"slates", "outcomes", "--slate", "sl_1"}, exitUsage, "--slate and --outcomes"},
		{[]string{"slates", "import", "--salaries", filepath.Join(dir, "missing.csv"), "--server", "http://x", "--api-key", "k"}, exitUsage, "read --salaries"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q, want %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestSlatesImportRemote posts the files as a multipart form with the key,
// prints the answer and names the id on stderr; a 422 is a usage error.
func TestSlatesImportRemote(t *testing.T) {
	dir := t.TempDir()
	sal, proj := filepath.Join(dir, "DKSalaries.csv"), filepath.Join(dir, "p.csv")
	_ = os.WriteFile(sal, []byte("salaries"), 0o644)
	_ = os.WriteFile(proj, []byte("projections"), 0o644)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/slates" || r.Header.Get("X-API-Key") != "key-1" {
			http.Error(w, "bad request line", http.StatusBadRequest)
			return
		}
		f, fh, err := r.FormFile("salaries")
		if err != nil || fh.Filename != "DKSalaries.csv" || r.FormValue("sport") != "nba" {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = io.WriteString(w, `{"error":{"code":"invalid_request","message":"salaries: bad","details":[{"field":"salaries","reason":"invalid"}],"request_id":"r1"}}`)
			return
		}
		b, _ := io.ReadAll(f)
		if _, _, err := r.FormFile("projections"); err != nil || string(b) != "salaries" {
			http.Error(w, "files", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"sl_0123456789abcdef0123456789abcdef","created":true,"players":3}`)
	}))
	defer srv.Close()
	code, stdout, stderr := runCLI("slates", "import", "--salaries", sal, "--projections", proj, "--sport", "nba",
		"--server", srv.URL, "--api-key", "key-1")
	if code != exitOK || !strings.Contains(stdout, `"id": "sl_0123456789abcdef0123456789abcdef"`) ||
		!strings.Contains(stderr, "slate sl_0123456789abcdef0123456789abcdef stored (3 players)") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, _, stderr = runCLI("slates", "import", "--salaries", sal, "--server", srv.URL, "--api-key", "key-1")
	if code != exitUsage || !strings.Contains(stderr, "HTTP 422 invalid_request") || !strings.Contains(stderr, "salaries: invalid") {
		t.Fatalf("422: exit %d %s", code, stderr)
	}
}
