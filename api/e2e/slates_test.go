package e2e

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/pkg/slatestore/storetest"
)

// checkSlates imports the real NBA slate through POST /v1/slates, imports
// it again with `dfsopt slates import` (same id), and optimizes it by
// slate_id: the lineups must be those of the same request with the players
// inline.
func (e *env) checkSlates(t *testing.T) {
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nba-2025-01-12")
	salaries, projections := filepath.Join(dir, "DKSalaries.csv"), filepath.Join(dir, "projections.csv")

	body, ctype := multipartFiles(t, map[string]string{"salaries": salaries, "projections": projections})
	st, h, b := e.do(t, "POST", "/v1/slates", adminKey, body, map[string]string{"Content-Type": ctype})
	if st != http.StatusCreated {
		t.Fatalf("import: %d %s", st, b)
	}
	var imp struct {
		ID      string `json:"id"`
		Created bool   `json:"created"`
		Players int    `json:"players"`
	}
	mustJSON(t, b, &imp)
	if !strings.HasPrefix(imp.ID, "sl_") || !imp.Created || imp.Players < 50 || h.Get("Location") != "/v1/slates/"+imp.ID {
		t.Fatalf("import answer: %s (Location %q)", b, h.Get("Location"))
	}

	stdout, stderr := e.dfsopt(t, "slates", "import", "--salaries", salaries, "--projections", projections,
		"--server", specProxy(t, e.gwAddr), "--api-key", adminKey)
	var again struct {
		ID      string `json:"id"`
		Created bool   `json:"created"`
	}
	mustJSON(t, stdout, &again)
	if again.ID != imp.ID || again.Created || !strings.Contains(string(stderr), "already stored") {
		t.Fatalf("CLI re-import: %s / %s, want id %s already stored", stdout, stderr, imp.ID)
	}

	// The same slate inline, as the CLI builds it from the same files.
	sf, _ := os.Open(salaries)
	defer sf.Close()
	pf, _ := os.Open(projections)
	defer pf.Close()
	inline, _, err := sitecsv.BuildOptimizeRequest(sf, pf, sitecsv.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inline.Lineups = 5
	inline.Seed = 7
	inline.Constraints.MinUnique = 2
	byID := *inline
	byID.Players, byID.SlateID = nil, imp.ID

	results := make([]schema.OptimizeResult, 2)
	for i, doc := range []*schema.OptimizeRequest{inline, &byID} {
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		st, _, b = e.do(t, "POST", "/v1/optimize", adminKey, b, nil)
		if st != http.StatusAccepted {
			t.Fatalf("submit %d: %d %s", i, st, b)
		}
		var j jobDoc
		mustJSON(t, b, &j)
		if done := e.wait(t, adminKey, j.ID, 120*time.Second); done.Status != "succeeded" {
			t.Fatalf("job %d %s: %+v", i, done.Status, done.Error)
		}
		st, _, b = e.do(t, "GET", "/v1/jobs/"+j.ID+"/result", adminKey, nil, nil)
		if st != http.StatusOK {
			t.Fatalf("result %d: %d %s", i, st, b)
		}
		mustJSON(t, b, &results[i])
	}
	if len(results[0].Lineups) != 5 || !reflect.DeepEqual(results[0].Lineups, results[1].Lineups) {
		t.Fatalf("lineups by slate_id differ from inline:\ninline  %+v\nslateID %+v", results[0].Lineups, results[1].Lineups)
	}

	// An unknown slate, or one of another sport, is refused at submission.
	for _, doc := range []string{
		`{"site":"draftkings","sport":"nba","lineups":1,"slate_id":"sl_00000000000000000000000000000000"}`,
		`{"site":"draftkings","sport":"nfl","lineups":1,"slate_id":"` + imp.ID + `"}`,
	} {
		st, _, b := e.do(t, "POST", "/v1/optimize", adminKey, []byte(doc), nil)
		eb := expectError(t, "slate_id", st, b, http.StatusUnprocessableEntity, "invalid_request")
		if len(eb.Error.Details) == 0 || eb.Error.Details[0].Field != "slate_id" {
			t.Fatalf("%s: details %+v, want slate_id", doc, eb.Error.Details)
		}
	}
	if st, _, b := e.do(t, "GET", "/v1/slates/"+imp.ID, adminKey, nil, nil); st != http.StatusOK {
		t.Fatalf("get slate: %d %s", st, b)
	}
}

// multipartFiles builds a multipart/form-data body of the files (field ->
// path).
func multipartFiles(t *testing.T, files map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for field, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		part, err := w.CreateFormFile(field, filepath.Base(path))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(b)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}
