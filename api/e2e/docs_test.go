package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDocsInBrowser loads /docs from a real gateway in headless Chromium
// and checks that Redoc rendered the operations list from the embedded
// bundle and /openapi.json under the page's CSP (the dumped DOM holds the
// operation summaries, which only Redoc's rendering puts there). Under
// CI=true a missing chromium fails the test; elsewhere it skips loudly.
// DFSOPT_CHROMIUM names another binary.
func TestDocsInBrowser(t *testing.T) {
	browser := os.Getenv("DFSOPT_CHROMIUM")
	if browser == "" {
		browser = "chromium"
	}
	path, err := exec.LookPath(browser)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install chromium): CI must run the browser check", browser)
		}
		t.Skipf("!!! WARNING: %s is not installed (apt-get install chromium): /docs not checked in a browser", browser)
	}
	e := securityEnv(t)
	addr := freeAddr(t)
	e.startGatewayAt(t, "gateway-docs", addr)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	began := time.Now()
	cmd := exec.CommandContext(ctx, path, "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", "http://"+addr+"/docs")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --dump-dom: %v\n%s", path, err, stderr.String())
	}
	t.Logf("chromium rendered /docs in %v (%d bytes of DOM)", time.Since(began).Round(time.Millisecond), len(out))
	dom := string(out)
	for _, want := range []string{
		"Optimize lineups.",            // POST /v1/optimize
		"A job&#39;s status document.", // GET /v1/jobs/{id}
		"/v1/jobs/{id}",
	} {
		if !strings.Contains(dom, want) && !strings.Contains(dom, strings.ReplaceAll(want, "&#39;", "'")) {
			t.Errorf("rendered /docs lacks %q (Redoc did not render the operations)\nDOM head: %.2000s\nchromium: %.2000s", want, dom, stderr.String())
		}
	}
}
