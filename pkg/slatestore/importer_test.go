package slatestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/redisstore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/storetest"
)

func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// TestImport imports the real NFL slate with its projections, again
// (same id, not created), then its outcomes, which come back as
// calibration history.
func TestImport(t *testing.T) {
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nfl-2019-09-08")
	ctx := context.Background()
	st := redisstore.New(redistest.New(t).Client)
	imp := func() *slatestore.ImportResult {
		res, err := slatestore.Import(ctx, st, slatestore.ImportRequest{
			Salaries:         open(t, filepath.Join(dir, "DKSalaries.csv")),
			Projections:      open(t, filepath.Join(dir, "projections_with_actuals.csv")),
			ProjectionSource: "projections_with_actuals.csv",
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := imp()
	if !first.Created || first.Site != slate.DraftKings || first.Sport != slate.NFL || first.Mode != slate.Classic ||
		first.Players < 100 || first.LockTime.IsZero() || first.UnmatchedProjections == nil {
		t.Fatalf("import: %+v", first)
	}
	again := imp()
	if again.Created || again.ID != first.ID {
		t.Fatalf("re-import: %+v, want id %s not created", again, first.ID)
	}
	oc, err := slatestore.ImportOutcomes(ctx, st, first.ID, open(t, filepath.Join(dir, "projections_with_actuals.csv")))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.History(ctx, []string{first.ID})
	if err != nil || len(rows) != oc.Outcomes || oc.Outcomes < 100 {
		t.Fatalf("history: %d rows (%v), %d outcomes stored", len(rows), err, oc.Outcomes)
	}
	t.Logf("%d players, %d unmatched projection rows, %d outcomes, %d unmatched outcome rows",
		first.Players, len(first.UnmatchedProjections), oc.Outcomes, len(oc.Unmatched))
}

func TestImportErrorsNameTheField(t *testing.T) {
	ctx := context.Background()
	st := redisstore.New(redistest.New(t).Client)
	dir := filepath.Join(storetest.SlatesDir(t), "dk-nba-2025-01-12")
	cases := []struct {
		field string
		req   slatestore.ImportRequest
	}{
		{"salaries", slatestore.ImportRequest{Salaries: strings.NewReader("not,a,salary,file\n1,2,3,4\n")}},
		{"salaries", slatestore.ImportRequest{}},
		{"projections", slatestore.ImportRequest{Salaries: open(t, filepath.Join(dir, "DKSalaries.csv")),
			Projections: strings.NewReader("name,team\nX,Y\n")}},
		{"sport", slatestore.ImportRequest{Salaries: open(t, filepath.Join(dir, "DKSalaries.csv")), Sport: "curling"}},
	}
	for _, tc := range cases {
		_, err := slatestore.Import(ctx, st, tc.req)
		var ie *slatestore.ImportError
		if !errors.As(err, &ie) || ie.Field != tc.field || !errors.Is(err, slatestore.ErrInvalid) {
			t.Errorf("%s: %v, want an ImportError on %s", tc.field, err, tc.field)
		}
	}
	if _, err := slatestore.ImportOutcomes(ctx, st, "sl_00000000000000000000000000000000", strings.NewReader("")); !errors.Is(err, slatestore.ErrNotFound) {
		t.Fatalf("outcomes of an unknown slate: %v", err)
	}
}
