// Package storetest is the contract test suite of slatestore.Store: every
// adapter runs Run with its own Harness, so they all keep the same promises.
// The suite imports real slates (the shared data folder beside the
// checkout) through optimizer/sitecsv, as the API and the CLI do.
package storetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
)

// EnvSlates names the variable pointing at the real slates folder (default:
// shared/data/slates beside the checkout, found from the go.work file).
const EnvSlates = "DFSOPT_TEST_SLATES"

// Harness is what an adapter gives the suite.
type Harness struct {
	// New returns an empty store for one test; the harness closes it.
	New func(t *testing.T) slatestore.Store
	// Count returns how many records (nodes, keys) the store holds, by
	// kind: re-importing a slate must not change it.
	Count func(t *testing.T) map[string]int
}

// Run runs the contract against the adapter.
func Run(t *testing.T, h Harness) {
	dir := SlatesDir(t)
	nfl := Import(t, filepath.Join(dir, "dk-nfl-2019-09-08"), "DKSalaries.csv", "projections_with_actuals.csv")
	nba := Import(t, filepath.Join(dir, "dk-nba-2025-01-12"), "DKSalaries.csv", "projections.csv")
	t.Run("RoundTripRealSlates", func(t *testing.T) { testRoundTrip(t, h, nfl, nba) })
	t.Run("ReimportIsIdempotent", func(t *testing.T) { testIdempotent(t, h, nfl) })
	t.Run("ConcurrentPutsStoreOnce", func(t *testing.T) { testConcurrentPut(t, h, nba) })
	t.Run("ContentDerivedID", func(t *testing.T) { testContentID(t, h, nba) })
	t.Run("NotFoundAndInvalid", func(t *testing.T) { testNotFound(t, h, nba) })
	t.Run("List", func(t *testing.T) { testList(t, h, nfl, nba) })
	t.Run("OutcomesAndHistory", func(t *testing.T) {
		testOutcomes(t, h, nfl, filepath.Join(dir, "dk-nfl-2019-09-08", "projections_with_actuals.csv"))
	})
}

// SlatesDir returns the real slates folder. Under CI (CI=true) a missing
// folder fails the test; elsewhere the test is skipped, saying so.
func SlatesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvSlates)
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				dir = filepath.Join(d, "..", "shared", "data", "slates")
				break
			}
			if filepath.Dir(d) == d {
				dir = filepath.Join(wd, "shared", "data", "slates")
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dk-nfl-2019-09-08", "DKSalaries.csv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the real slates are missing (%v): set %s", err, EnvSlates)
		}
		t.Skipf("!!! SKIPPING: the real slates are missing (%v): set %s", err, EnvSlates)
	}
	return dir
}

// Import builds a slate from a salary file and a projections file in dir,
// as POST /v1/slates does.
func Import(t testing.TB, dir, salaries, projections string) *slatestore.Slate {
	t.Helper()
	sf, err := os.Open(filepath.Join(dir, salaries))
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	pf, err := os.Open(filepath.Join(dir, projections))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	req, rep, err := sitecsv.BuildOptimizeRequest(sf, pf, sitecsv.RequestOptions{})
	if err != nil {
		t.Fatalf("import %s: %v", dir, err)
	}
	return &slatestore.Slate{Site: rep.Site, Sport: rep.Sport, Mode: rep.Mode, GameStarts: rep.GameStarts,
		ProjectionSource: projections, Players: req.Players}
}

func newStore(t *testing.T, h Harness) slatestore.Store {
	t.Helper()
	s := h.New(t)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return s
}

func put(t *testing.T, s slatestore.Store, sl *slatestore.Slate) string {
	t.Helper()
	id, created, err := s.Put(context.Background(), sl)
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if !created {
		t.Fatalf("put %s into an empty store: created = false", id)
	}
	return id
}

func testRoundTrip(t *testing.T, h Harness, slates ...*slatestore.Slate) {
	ctx := context.Background()
	s := newStore(t, h)
	for _, want := range slates {
		before := time.Now().Add(-time.Second)
		id := put(t, s, want)
		if !slatestore.ValidID(id) {
			t.Fatalf("id %q is not a slate id", id)
		}
		got, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if got.ID != id || got.Site != want.Site || got.Sport != want.Sport || got.Mode != want.Mode ||
			got.ProjectionSource != want.ProjectionSource {
			t.Fatalf("get %s: header %s %s %s %q, want %s %s %s %q", id, got.Site, got.Sport, got.Mode,
				got.ProjectionSource, want.Site, want.Sport, want.Mode, want.ProjectionSource)
		}
		if len(got.Players) != len(want.Players) {
			t.Fatalf("get %s: %d players, want %d", id, len(got.Players), len(want.Players))
		}
		for i := range want.Players {
			if !reflect.DeepEqual(got.Players[i], want.Players[i]) {
				t.Fatalf("get %s: player %d\n got %+v\nwant %+v", id, i, got.Players[i], want.Players[i])
			}
		}
		if len(got.GameStarts) != len(want.GameStarts) {
			t.Fatalf("get %s: %d game starts, want %d", id, len(got.GameStarts), len(want.GameStarts))
		}
		var lock time.Time
		for g, w := range want.GameStarts {
			if !got.GameStarts[g].Equal(w) {
				t.Fatalf("get %s: start of %s = %v, want %v", id, g, got.GameStarts[g], w)
			}
			if lock.IsZero() || w.Before(lock) {
				lock = w
			}
		}
		if !got.LockTime.Equal(lock) || lock.IsZero() {
			t.Fatalf("get %s: lock time %v, want the first game start %v", id, got.LockTime, lock)
		}
		if got.ImportedAt.Before(before) || got.ImportedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("get %s: imported at %v", id, got.ImportedAt)
		}
		if wantID, _ := slatestore.ID(want); wantID != id {
			t.Fatalf("id %s, want the content id %s", id, wantID)
		}
	}
}

func testIdempotent(t *testing.T, h Harness, sl *slatestore.Slate) {
	ctx := context.Background()
	s := newStore(t, h)
	id := put(t, s, sl)
	first := h.Count(t)
	if len(first) == 0 {
		t.Fatal("count: the store holds nothing after a put")
	}
	for range 2 {
		again, created, err := s.Put(ctx, sl)
		if err != nil || created || again != id {
			t.Fatalf("re-import: id %s created %v err %v, want %s false nil", again, created, err, id)
		}
	}
	if got := h.Count(t); !reflect.DeepEqual(got, first) {
		t.Fatalf("re-import changed the store: %v, was %v", got, first)
	}
	got, err := s.Get(ctx, id)
	if err != nil || len(got.Players) != len(sl.Players) {
		t.Fatalf("get after re-import: %v", err)
	}
}

func testConcurrentPut(t *testing.T, h Harness, sl *slatestore.Slate) {
	ctx := context.Background()
	s := newStore(t, h)
	const n = 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]bool{}
		created int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, c, err := s.Put(ctx, sl)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("concurrent put: %v", err)
				return
			}
			ids[id] = true
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Fatalf("%d concurrent puts: ids %v, %d created; want one id, created once", n, ids, created)
	}
	one := h.Count(t)
	// The same slate put once into an empty store holds as much.
	for id := range ids {
		if _, err := s.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, c, _ := s.Put(ctx, sl); c {
		t.Fatal("put after concurrent puts: created")
	}
	if got := h.Count(t); !reflect.DeepEqual(got, one) {
		t.Fatalf("count changed: %v, was %v", got, one)
	}
}

func testContentID(t *testing.T, h Harness, sl *slatestore.Slate) {
	ctx := context.Background()
	s := newStore(t, h)
	id := put(t, s, sl)
	other := *sl
	other.Players = append([]slate.Player(nil), sl.Players...)
	other.Players[0].Projection += 1
	id2 := put(t, s, &other)
	if id2 == id {
		t.Fatal("a slate with other projections got the same id")
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Get(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if a.Players[0].Projection+1 != b.Players[0].Projection {
		t.Fatalf("projections: %v and %v", a.Players[0].Projection, b.Players[0].Projection)
	}
}

func testNotFound(t *testing.T, h Harness, sl *slatestore.Slate) {
	ctx := context.Background()
	s := newStore(t, h)
	unknown := "sl_00000000000000000000000000000000"
	for _, id := range []string{unknown, "not-an-id", "", "sl_' OR 1=1"} {
		if _, err := s.Get(ctx, id); !errors.Is(err, slatestore.ErrNotFound) {
			t.Fatalf("get %q: %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.History(ctx, []string{unknown}); !errors.Is(err, slatestore.ErrNotFound) {
		t.Fatalf("history of an unknown slate: %v", err)
	}
	if err := s.PutOutcomes(ctx, unknown, []slatestore.Outcome{{PlayerID: "1", Points: 1}}); !errors.Is(err, slatestore.ErrNotFound) {
		t.Fatalf("outcomes of an unknown slate: %v", err)
	}
	empty := *sl
	empty.Players = nil
	if _, _, err := s.Put(ctx, &empty); !errors.Is(err, slatestore.ErrInvalid) {
		t.Fatalf("put without players: %v, want ErrInvalid", err)
	}
	dup := *sl
	dup.Players = append([]slate.Player{sl.Players[0]}, sl.Players...)
	if _, _, err := s.Put(ctx, &dup); !errors.Is(err, slatestore.ErrInvalid) {
		t.Fatalf("put with a duplicate player: %v, want ErrInvalid", err)
	}
	bad := *sl
	bad.Mode = "chess"
	if _, _, err := s.Put(ctx, &bad); !errors.Is(err, slatestore.ErrInvalid) {
		t.Fatalf("put with an unknown mode: %v, want ErrInvalid", err)
	}
	if l, err := s.List(ctx, slatestore.ListOptions{}); err != nil || len(l) != 0 {
		t.Fatalf("refused puts stored something: %v %v", l, err)
	}
}

func testList(t *testing.T, h Harness, nfl, nba *slatestore.Slate) {
	ctx := context.Background()
	s := newStore(t, h)
	if l, err := s.List(ctx, slatestore.ListOptions{}); err != nil || len(l) != 0 {
		t.Fatalf("list of an empty store: %v %v", l, err)
	}
	nflID, nbaID := put(t, s, nfl), put(t, s, nba)
	l, err := s.List(ctx, slatestore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].ID != nbaID || l[1].ID != nflID {
		t.Fatalf("list: %+v, want the 2025 NBA slate then the 2019 NFL one", l)
	}
	if l[1].Players != len(nfl.Players) || l[1].Sport != slate.NFL || l[1].Site != slate.DraftKings ||
		l[1].Mode != slate.Classic || l[1].LockTime.IsZero() || l[1].Outcomes != 0 {
		t.Fatalf("nfl summary: %+v", l[1])
	}
	if l, err := s.List(ctx, slatestore.ListOptions{Sport: slate.NFL}); err != nil || len(l) != 1 || l[0].ID != nflID {
		t.Fatalf("list nfl: %+v %v", l, err)
	}
	if l, err := s.List(ctx, slatestore.ListOptions{Site: slate.FanDuel}); err != nil || len(l) != 0 {
		t.Fatalf("list fanduel: %+v %v", l, err)
	}
	if l, err := s.List(ctx, slatestore.ListOptions{Limit: 1}); err != nil || len(l) != 1 || l[0].ID != nbaID {
		t.Fatalf("list limit 1: %+v %v", l, err)
	}
}

func testOutcomes(t *testing.T, h Harness, sl *slatestore.Slate, results string) {
	ctx := context.Background()
	s := newStore(t, h)
	id := put(t, s, sl)
	f, err := os.Open(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	oc, err := sitecsv.ReadOutcomes(f, sl.Players, sl.Sport)
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Points) < 100 {
		t.Fatalf("only %d outcomes matched: %s", len(oc.Points), oc.Report.Summary())
	}
	var outcomes []slatestore.Outcome
	for _, p := range sl.Players {
		if v, ok := oc.Points[p.ID]; ok {
			o := slatestore.Outcome{PlayerID: p.ID, Points: v}
			if own, ok := oc.Ownership[p.ID]; ok {
				o.Ownership = &own
			}
			outcomes = append(outcomes, o)
		}
	}
	if err := s.PutOutcomes(ctx, id, outcomes); err != nil {
		t.Fatalf("put outcomes: %v", err)
	}
	rows, err := s.History(ctx, []string{id})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	if len(rows) != len(outcomes) {
		t.Fatalf("history: %d rows, want %d", len(rows), len(outcomes))
	}
	byID := map[string]slate.Player{}
	for _, p := range sl.Players {
		byID[p.ID] = p
	}
	for i, r := range rows {
		p := byID[r.PlayerID]
		if r.PlayerID != outcomes[i].PlayerID || r.Actual != outcomes[i].Points || r.Projection != p.Projection ||
			r.Name != p.Name || r.Team != p.Team || r.Position != p.Positions[0] || r.StdDev != p.StdDev {
			t.Fatalf("row %d: %+v, want player %+v actual %v", i, r, p, outcomes[i].Points)
		}
		if r.Date != "2019-09-08" {
			t.Fatalf("row %d: date %q, want 2019-09-08", i, r.Date)
		}
	}
	lamar := findRow(rows, "Lamar Jackson")
	if lamar == nil || lamar.Actual != 36.56 || lamar.Projection != 20.3 {
		t.Fatalf("Lamar Jackson: %+v, want actual 36.56 (projections_actpts), projection 20.3", lamar)
	}
	// Loading the outcomes again replaces them: nothing new is stored.
	count := h.Count(t)
	if err := s.PutOutcomes(ctx, id, outcomes); err != nil {
		t.Fatal(err)
	}
	if got := h.Count(t); !reflect.DeepEqual(got, count) {
		t.Fatalf("re-loading outcomes changed the store: %v, was %v", got, count)
	}
	// A corrected outcome replaces the first.
	fixed := []slatestore.Outcome{{PlayerID: lamar.PlayerID, Points: 40}}
	if err := s.PutOutcomes(ctx, id, fixed); err != nil {
		t.Fatal(err)
	}
	rows, err = s.History(ctx, []string{id, id})
	if err != nil || len(rows) != 2*len(outcomes) {
		t.Fatalf("history twice: %d rows, %v", len(rows), err)
	}
	if r := findRow(rows, "Lamar Jackson"); r.Actual != 40 {
		t.Fatalf("corrected outcome: %v, want 40", r.Actual)
	}
	l, err := s.List(ctx, slatestore.ListOptions{})
	if err != nil || len(l) != 1 || l[0].Outcomes != len(outcomes) {
		t.Fatalf("list after outcomes: %+v %v", l, err)
	}
	for _, bad := range [][]slatestore.Outcome{
		{{PlayerID: "no-such-player", Points: 1}},
		{{PlayerID: lamar.PlayerID, Points: 1}, {PlayerID: lamar.PlayerID, Points: 2}},
		{{PlayerID: lamar.PlayerID, Points: 1, Ownership: ptr(1.5)}},
	} {
		if err := s.PutOutcomes(ctx, id, bad); !errors.Is(err, slatestore.ErrInvalid) {
			t.Fatalf("outcomes %+v: %v, want ErrInvalid", bad, err)
		}
	}
	if r := findRow(mustHistory(t, s, id), "Lamar Jackson"); r.Actual != 40 {
		t.Fatalf("a refused load changed an outcome: %v", r.Actual)
	}
}

func mustHistory(t *testing.T, s slatestore.Store, ids ...string) []schema.CalibrationRow {
	t.Helper()
	rows, err := s.History(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func findRow(rows []schema.CalibrationRow, name string) *schema.CalibrationRow {
	for i := range rows {
		if rows[i].Name == name {
			return &rows[i]
		}
	}
	return nil
}

func ptr(f float64) *float64 { return &f }
