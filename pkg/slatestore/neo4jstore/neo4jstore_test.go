package neo4jstore

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/storetest"
)

// The Neo4j the tests use: a disposable server (the tests delete every
// node). .ci/run starts one (deployments/neo4j/run.sh) and sets these.
const (
	envURI      = "DFSOPT_TEST_NEO4J_URI"
	envUser     = "DFSOPT_TEST_NEO4J_USER"
	envPassword = "DFSOPT_TEST_NEO4J_PASSWORD"
)

// testOptions returns the test server's options. Without one the test
// fails under CI (CI=true) and is skipped, loudly, elsewhere.
func testOptions(t *testing.T) Options {
	t.Helper()
	o := Options{URI: os.Getenv(envURI), User: os.Getenv(envUser), Password: os.Getenv(envPassword), Timeout: 20 * time.Second}
	if o.User == "" {
		o.User = "neo4j"
	}
	if o.URI == "" {
		noServer(t, envURI+" is unset (start one with deployments/neo4j/run.sh start)")
	}
	return o
}

func noServer(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but no Neo4j for %s: %s", t.Name(), why)
	}
	t.Skipf("!!! SKIPPING %s: no Neo4j: %s", t.Name(), why)
}

// openTest opens the test server and empties it.
func openTest(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testOptions(t))
	if err != nil {
		noServer(t, err.Error())
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	if err := s.write(ctx, "wipe", func(tx neo4j.ManagedTransaction) error {
		_, err := tx.Run(ctx, "MATCH (n) DETACH DELETE n", nil)
		return err
	}); err != nil {
		t.Fatalf("empty the test database: %v", err)
	}
	return s
}

// countNodes counts the nodes and relationships by label and type.
func countNodes(t *testing.T, s *Store) map[string]int {
	t.Helper()
	ctx := context.Background()
	counts := map[string]int{}
	err := s.read(ctx, "count", func(tx neo4j.ManagedTransaction) error {
		for _, q := range []string{
			"MATCH (n) RETURN labels(n)[0] AS k, count(*) AS n",
			"MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS n",
		} {
			res, err := tx.Run(ctx, q, nil)
			if err != nil {
				return err
			}
			for res.Next(ctx) {
				k, _, _ := neo4j.GetRecordValue[string](res.Record(), "k")
				n, _, _ := neo4j.GetRecordValue[int64](res.Record(), "n")
				counts[k] = int(n)
			}
			if err := res.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// TestContract runs the slate store contract against a real Neo4j over
// Bolt.
func TestContract(t *testing.T) {
	var s *Store
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) slatestore.Store {
			s = openTest(t)
			// The harness closes the store it is given; keep ours for Count.
			return nopClose{s}
		},
		Count: func(t *testing.T) map[string]int { return countNodes(t, s) },
	})
}

type nopClose struct{ *Store }

func (nopClose) Close(context.Context) error { return nil }

// TestGraph checks the graph of an imported slate: one node per team, game,
// player, entry and projection, linked as the package doc says, and the
// schema in place.
func TestGraph(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	sl := storetest.Import(t, storetest.SlatesDir(t)+"/dk-nba-2025-01-12", "DKSalaries.csv", "projections.csv")
	id, _, err := s.Put(ctx, sl)
	if err != nil {
		t.Fatal(err)
	}
	teams, games := map[string]bool{}, map[string]bool{}
	for _, p := range sl.Players {
		teams[p.Team] = true
		games[p.Game] = true
	}
	c := countNodes(t, s)
	n := len(sl.Players)
	want := map[string]int{"Slate": 1, "Team": len(teams), "Game": len(games), "Player": n, "SlateEntry": n,
		"Projection": n, "PLAYS_FOR": n, "FOR_PLAYER": n, "HAS_PROJECTION": n, "IN_GAME": n,
		"ON_SLATE": n + len(games), "HOME": len(games), "AWAY": len(games)}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s: %d, want %d (all: %v)", k, c[k], v, c)
		}
	}
	var rp []any
	err = s.read(ctx, "roster", func(tx neo4j.ManagedTransaction) error {
		res, err := tx.Run(ctx, `MATCH (e:SlateEntry {key: $key}) RETURN e.roster_positions AS rp`,
			map[string]any{"key": id + ":37302935"}) // Shai Gilgeous-Alexander, PG
		if err != nil {
			return err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return err
		}
		rp, _, err = neo4j.GetRecordValue[[]any](rec, "rp")
		return err
	})
	if err != nil || len(rp) != 3 || rp[0] != "PG" || rp[1] != "G" || rp[2] != "UTIL" {
		t.Fatalf("roster positions of a PG: %v %v, want [PG G UTIL]", rp, err)
	}
	var constraints int64
	err = s.read(ctx, "constraints", func(tx neo4j.ManagedTransaction) error {
		res, err := tx.Run(ctx, "SHOW CONSTRAINTS YIELD name RETURN count(*) AS n", nil)
		if err != nil {
			return err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return err
		}
		constraints, _, err = neo4j.GetRecordValue[int64](rec, "n")
		return err
	})
	if err != nil || constraints < 7 {
		t.Fatalf("constraints: %d %v, want the 7 of the schema", constraints, err)
	}
	// Opening again creates the schema again: idempotent.
	s2, err := Open(ctx, testOptions(t))
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	_ = s2.Close(ctx)
}

// TestUnavailable: nothing listening, or wrong credentials, is
// ErrUnavailable within the configured time-out, not a hang.
func TestUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	ctx := context.Background()
	start := time.Now()
	_, err = Open(ctx, Options{URI: "bolt://" + addr, User: "neo4j", Password: "whatever1", Timeout: 2 * time.Second})
	if !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("open with nothing listening: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("open with nothing listening took %v, want about the 2 s time-out", d)
	}
	if os.Getenv(envURI) == "" {
		noServer(t, envURI+" is unset: wrong credentials not checked")
	}
	o := testOptions(t)
	o.Password += "-wrong"
	o.Timeout = 5 * time.Second
	if _, err := Open(ctx, o); !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("open with a wrong password: %v, want ErrUnavailable", err)
	}
}

// TestSilentServer: a server that accepts connections and never answers
// (a hung Neo4j) fails operations as ErrUnavailable within the time-out,
// and New does not wait for it.
func TestSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	start := time.Now()
	s, err := New(Options{URI: "bolt://" + l.Addr().String(), User: "neo4j", Password: "whatever1", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx := context.Background()
	if _, err := s.Get(ctx, "sl_00000000000000000000000000000000"); !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("get: %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("ping: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("two operations against a silent server took %v with a 1 s time-out", d)
	}
}
