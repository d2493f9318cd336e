// Package neo4jstore provides the Neo4j adapter of slatestore.Store: the
// product's player/team/game graph and its history, over Bolt with the
// official driver (neo4j-go-driver v5).
//
// The graph:
//
//	(:Slate {id, site, sport, mode, lock_time, projection_source, imported_at, players})
//	(:Team {key: "<sport>:<abbrev>", sport, abbrev})
//	(:Player {key: "<site>:<site id>", site, site_id, name})-[:PLAYS_FOR]->(:Team)
//	(:Game {key, sport, name: "AWAY@HOME", start})-[:ON_SLATE]->(:Slate)
//	(:Game)-[:HOME]->(:Team), (:Game)-[:AWAY]->(:Team)
//	(:SlateEntry {key: "<slate id>:<site id>", idx, id, name, team, opponent, game,
//	              salary, positions, roster_positions, status, captain_id,
//	              captain_salary, game_started})-[:ON_SLATE]->(:Slate)
//	(:SlateEntry)-[:FOR_PLAYER]->(:Player), (:SlateEntry)-[:IN_GAME]->(:Game)
//	(:SlateEntry)-[:HAS_PROJECTION]->(:Projection {key, source, mean, stddev, floor, ceiling, ownership})
//	(:SlateEntry)-[:HAS_OUTCOME]->(:Outcome {key, points, ownership})
//
// A game is keyed by sport, Eastern date and "AWAY@HOME" when the salary
// file gives its start (the same game on two slates is one node), else by
// the slate. Site player ids are per slate at DraftKings, so a Player node
// is a site listing rather than a person.
//
// The uniqueness constraints and indexes are created (IF NOT EXISTS:
// idempotent) when the store first reaches the server. Every operation runs under the configured time-out; a
// server that cannot be reached, does not answer in time or refuses the
// credentials yields an error matching slatestore.ErrUnavailable.
package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
)

// Defaults of the connection settings.
const (
	DefaultMaxPool = 50
	DefaultTimeout = 10 * time.Second
)

// Options configure the connection.
type Options struct {
	// URI is the server's address (bolt://, neo4j://, and their +s forms).
	URI string
	// User and Password authenticate with basic auth.
	User     string
	Password string
	// Database is the database to use ("": the server's default).
	Database string
	// MaxPool caps the driver's connection pool (DefaultMaxPool when <= 0).
	MaxPool int
	// Timeout bounds each operation: connection acquisition, connecting,
	// the transaction on the server and the driver's retries
	// (DefaultTimeout when <= 0).
	Timeout time.Duration
}

// Store is a slatestore.Store over Neo4j. It is safe for concurrent use.
type Store struct {
	driver  neo4j.DriverWithContext
	db      string
	timeout time.Duration
	now     func() time.Time

	schemaMu   sync.Mutex
	schemaDone bool
}

var _ slatestore.Store = (*Store)(nil)

// schemaStatements are the constraints and indexes of the graph.
var schemaStatements = []string{
	"CREATE CONSTRAINT slate_id IF NOT EXISTS FOR (s:Slate) REQUIRE s.id IS UNIQUE",
	"CREATE CONSTRAINT slate_entry_key IF NOT EXISTS FOR (e:SlateEntry) REQUIRE e.key IS UNIQUE",
	"CREATE CONSTRAINT player_key IF NOT EXISTS FOR (p:Player) REQUIRE p.key IS UNIQUE",
	"CREATE CONSTRAINT team_key IF NOT EXISTS FOR (t:Team) REQUIRE t.key IS UNIQUE",
	"CREATE CONSTRAINT game_key IF NOT EXISTS FOR (g:Game) REQUIRE g.key IS UNIQUE",
	"CREATE CONSTRAINT projection_key IF NOT EXISTS FOR (p:Projection) REQUIRE p.key IS UNIQUE",
	"CREATE CONSTRAINT outcome_key IF NOT EXISTS FOR (o:Outcome) REQUIRE o.key IS UNIQUE",
	"CREATE INDEX slate_sport_lock IF NOT EXISTS FOR (s:Slate) ON (s.sport, s.lock_time)",
	"CREATE INDEX player_name IF NOT EXISTS FOR (p:Player) ON (p.name)",
}

// New returns a store for the server o names without contacting it: the
// schema is created by the first operation that reaches the server (and
// retried by the next ones until it is), so a process can start while
// Neo4j is down and answer ErrUnavailable meanwhile. Only an invalid URI
// is an error.
func New(o Options) (*Store, error) {
	if o.MaxPool <= 0 {
		o.MaxPool = DefaultMaxPool
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	d, err := neo4j.NewDriverWithContext(o.URI, neo4j.BasicAuth(o.User, o.Password, ""), func(c *config.Config) {
		c.MaxConnectionPoolSize = o.MaxPool
		c.ConnectionAcquisitionTimeout = o.Timeout
		c.SocketConnectTimeout = o.Timeout
		c.MaxTransactionRetryTime = o.Timeout
	})
	if err != nil {
		// config refuses credentials in DFSOPT_NEO4J_URI, so the driver's
		// message may name it.
		return nil, fmt.Errorf("neo4j: invalid URI: %w", err)
	}
	return &Store{driver: d, db: o.Database, timeout: o.Timeout, now: time.Now}, nil
}

// Open returns a store whose server answered and has the schema: New, then
// the schema created at once.
func Open(ctx context.Context, o Options) (*Store, error) {
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	if err := s.EnsureSchema(ctx); err != nil {
		_ = s.driver.Close(ctx)
		return nil, err
	}
	return s, nil
}

// EnsureSchema creates the constraints and indexes unless this store has
// done so already. Every operation calls it first. It holds no lock while
// it talks to the server: operations that find the schema missing at the
// same time each create it (the statements are idempotent).
func (s *Store) EnsureSchema(ctx context.Context) error {
	s.schemaMu.Lock()
	done := s.schemaDone
	s.schemaMu.Unlock()
	if done {
		return nil
	}
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if err := s.createSchema(ctx); err != nil {
		return err
	}
	s.schemaMu.Lock()
	s.schemaDone = true
	s.schemaMu.Unlock()
	return nil
}

func (s *Store) createSchema(ctx context.Context) error {
	create := func(stmt string) error {
		return s.run(ctx, "create schema", neo4j.AccessModeWrite, func(tx neo4j.ManagedTransaction) error {
			_, err := tx.Run(ctx, stmt, nil)
			return err
		})
	}
	for _, stmt := range schemaStatements {
		if err := create(stmt); err != nil {
			// Two processes starting together may race on the same
			// statement; the loser finds the rule there on a second try.
			if create(stmt) != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes the driver and its connections.
func (s *Store) Close(ctx context.Context) error {
	if err := s.driver.Close(ctx); err != nil {
		return fmt.Errorf("neo4j: close: %w", err)
	}
	return nil
}

// Ping checks that the server answers and accepts the credentials.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.driver.VerifyAuthentication(ctx, nil); err != nil {
		return wrap("neo4j: ping", err)
	}
	return nil
}

// write runs fn in a write transaction under the store's time-out.
func (s *Store) write(ctx context.Context, op string, fn func(neo4j.ManagedTransaction) error) error {
	return s.tx(ctx, op, neo4j.AccessModeWrite, fn)
}

// read runs fn in a read transaction under the store's time-out.
func (s *Store) read(ctx context.Context, op string, fn func(neo4j.ManagedTransaction) error) error {
	return s.tx(ctx, op, neo4j.AccessModeRead, fn)
}

func (s *Store) tx(ctx context.Context, op string, mode neo4j.AccessMode, fn func(neo4j.ManagedTransaction) error) error {
	if err := s.EnsureSchema(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.run(ctx, op, mode, fn)
}

// run runs fn in a transaction of the given mode under the store's
// time-out.
func (s *Store) run(ctx context.Context, op string, mode neo4j.AccessMode, fn func(neo4j.ManagedTransaction) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sess := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db, AccessMode: mode})
	defer func() { _ = sess.Close(ctx) }()
	work := func(tx neo4j.ManagedTransaction) (any, error) { return nil, fn(tx) }
	var err error
	if mode == neo4j.AccessModeWrite {
		_, err = sess.ExecuteWrite(ctx, work, neo4j.WithTxTimeout(s.timeout))
	} else {
		_, err = sess.ExecuteRead(ctx, work, neo4j.WithTxTimeout(s.timeout))
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// Put stores a slate and its graph in one write transaction, unless a slate
// with its id is there.
func (s *Store) Put(ctx context.Context, sl *slatestore.Slate) (string, bool, error) {
	p, err := slatestore.Prepare(sl)
	if err != nil {
		return "", false, err
	}
	p.ImportedAt = s.now().UTC().Truncate(time.Millisecond)
	rules, err := slate.RulesFor(p.Site, p.Sport, p.Mode)
	if err != nil {
		return "", false, fmt.Errorf("put slate %s: %w", p.ID, err)
	}
	params := putParams(p, rules)
	created := false
	err = s.write(ctx, "put slate "+p.ID, func(tx neo4j.ManagedTransaction) error {
		created = false
		res, err := tx.Run(ctx, "MATCH (s:Slate {id: $id}) RETURN count(s) AS n", map[string]any{"id": p.ID})
		if err != nil {
			return err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return err
		}
		if n, _, _ := neo4j.GetRecordValue[int64](rec, "n"); n > 0 {
			return nil
		}
		for _, q := range putQueries {
			if _, err := tx.Run(ctx, q, params); err != nil {
				return err
			}
		}
		created = true
		return nil
	})
	if err != nil {
		// A concurrent Put of the same slate won the race: it is stored.
		var ne *neo4j.Neo4jError
		if errors.As(err, &ne) && ne.Code == "Neo.ClientError.Schema.ConstraintValidationFailed" {
			if _, gerr := s.Get(ctx, p.ID); gerr == nil {
				return p.ID, false, nil
			}
		}
		return "", false, err
	}
	return p.ID, created, nil
}

// putQueries write a slate's graph; they run in order in one transaction
// with the parameters of putParams.
var putQueries = []string{
	`CREATE (s:Slate {id: $id, site: $site, sport: $sport, mode: $mode, projection_source: $source,
	                  imported_at: $imported_at, players: size($entries)})
	 SET s.lock_time = $lock_time`,
	`UNWIND $teams AS t
	 MERGE (tm:Team {key: t.key}) ON CREATE SET tm.sport = t.sport, tm.abbrev = t.abbrev`,
	`MATCH (s:Slate {id: $id})
	 UNWIND $games AS g
	 MERGE (gm:Game {key: g.key}) ON CREATE SET gm.sport = $sport, gm.name = g.name, gm.start = g.start
	 MERGE (gm)-[:ON_SLATE]->(s)
	 WITH gm, g WHERE g.home IS NOT NULL
	 MATCH (home:Team {key: g.home}), (away:Team {key: g.away})
	 MERGE (gm)-[:HOME]->(home)
	 MERGE (gm)-[:AWAY]->(away)`,
	`MATCH (s:Slate {id: $id})
	 UNWIND $entries AS e
	 MERGE (p:Player {key: e.player_key}) ON CREATE SET p.site = $site, p.site_id = e.props.id
	 SET p.name = e.props.name
	 WITH s, e, p
	 MATCH (t:Team {key: e.team_key})
	 MERGE (p)-[:PLAYS_FOR]->(t)
	 CREATE (se:SlateEntry)-[:ON_SLATE]->(s)
	 SET se = e.props
	 CREATE (se)-[:FOR_PLAYER]->(p)
	 CREATE (pr:Projection)
	 SET pr = e.projection
	 CREATE (se)-[:HAS_PROJECTION]->(pr)
	 WITH se, e WHERE e.game_key IS NOT NULL
	 MATCH (g:Game {key: e.game_key})
	 CREATE (se)-[:IN_GAME]->(g)`,
}

// putParams builds the parameters of putQueries. Absent optional values
// are left out of the property maps (Neo4j stores no nulls).
func putParams(p *slatestore.Slate, rules *slate.Rules) map[string]any {
	sport := string(p.Sport)
	teamKey := func(abbrev string) string { return sport + ":" + abbrev }
	teams := map[string]bool{}
	var teamList []any
	addTeam := func(abbrev string) {
		if abbrev != "" && !teams[abbrev] {
			teams[abbrev] = true
			teamList = append(teamList, map[string]any{"key": teamKey(abbrev), "sport": sport, "abbrev": abbrev})
		}
	}
	gameKeys := map[string]string{}
	var games []any
	for i := range p.Players {
		pl := &p.Players[i]
		addTeam(pl.Team)
		addTeam(pl.Opponent)
		name := pl.Game
		if name == "" || gameKeys[name] != "" {
			continue
		}
		g := map[string]any{"name": name}
		if start, ok := p.GameStarts[name]; ok {
			g["key"] = sport + ":" + slatestore.EasternDate(start) + ":" + name
			g["start"] = start
		} else {
			g["key"] = sport + ":" + p.ID + ":" + name
		}
		if away, home, ok := strings.Cut(name, "@"); ok && teams[away] && teams[home] {
			g["away"], g["home"] = teamKey(away), teamKey(home)
		}
		gameKeys[name] = g["key"].(string)
		games = append(games, g)
	}
	entries := make([]any, len(p.Players))
	for i := range p.Players {
		pl := &p.Players[i]
		key := p.ID + ":" + pl.ID
		props := map[string]any{
			"key": key, "idx": i, "id": pl.ID, "name": pl.Name, "team": pl.Team, "salary": pl.Salary,
			"positions": pl.Positions, "roster_positions": slatestore.RosterPositions(rules, pl),
			"game_started": pl.GameStarted,
		}
		setString(props, "opponent", pl.Opponent)
		setString(props, "game", pl.Game)
		setString(props, "status", pl.Status)
		setString(props, "captain_id", pl.CaptainID)
		if pl.CaptainSalary != 0 {
			props["captain_salary"] = pl.CaptainSalary
		}
		proj := map[string]any{
			"key": key + ":projection", "source": p.ProjectionSource, "mean": pl.Projection,
			"stddev": pl.StdDev, "ownership": pl.Ownership,
		}
		if pl.Floor != nil {
			proj["floor"] = *pl.Floor
		}
		if pl.Ceiling != nil {
			proj["ceiling"] = *pl.Ceiling
		}
		e := map[string]any{"props": props, "projection": proj, "player_key": string(p.Site) + ":" + pl.ID,
			"team_key": teamKey(pl.Team)}
		if k := gameKeys[pl.Game]; k != "" {
			e["game_key"] = k
		}
		entries[i] = e
	}
	params := map[string]any{
		"id": p.ID, "site": string(p.Site), "sport": sport, "mode": string(p.Mode), "source": p.ProjectionSource,
		"imported_at": p.ImportedAt, "teams": teamList, "games": games, "entries": entries, "lock_time": nil,
	}
	if !p.LockTime.IsZero() {
		params["lock_time"] = p.LockTime
	}
	return params
}

func setString(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// Get reads a slate back from its graph.
func (s *Store) Get(ctx context.Context, id string) (*slatestore.Slate, error) {
	if !slatestore.ValidID(id) {
		return nil, fmt.Errorf("get slate %q: %w", id, slatestore.ErrNotFound)
	}
	var out *slatestore.Slate
	err := s.read(ctx, "get slate "+id, func(tx neo4j.ManagedTransaction) error {
		var err error
		out, err = getSlate(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("get slate %s: %w", id, slatestore.ErrNotFound)
	}
	return out, nil
}

// getSlate reads a slate in tx; nil when there is none.
func getSlate(ctx context.Context, tx neo4j.ManagedTransaction, id string) (*slatestore.Slate, error) {
	res, err := tx.Run(ctx, `MATCH (s:Slate {id: $id})
		OPTIONAL MATCH (g:Game)-[:ON_SLATE]->(s)
		RETURN s {.*} AS s, collect(g {.name, .start}) AS games`, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	recs, err := res.Collect(ctx)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	sm, _, err := neo4j.GetRecordValue[map[string]any](recs[0], "s")
	if err != nil {
		return nil, fmt.Errorf("decode slate: %w", err)
	}
	sl := slateOf(sm)
	games, _, _ := neo4j.GetRecordValue[[]any](recs[0], "games")
	sl.GameStarts = map[string]time.Time{}
	for _, g := range games {
		gm, _ := g.(map[string]any)
		if start, ok := gm["start"].(time.Time); ok {
			sl.GameStarts[str(gm["name"])] = start.UTC()
		}
	}
	res, err = tx.Run(ctx, `MATCH (se:SlateEntry)-[:ON_SLATE]->(:Slate {id: $id})
		OPTIONAL MATCH (se)-[:HAS_PROJECTION]->(pr:Projection)
		RETURN se {.*} AS e, pr {.*} AS pr ORDER BY se.idx`, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	for res.Next(ctx) {
		rec := res.Record()
		e, _, err := neo4j.GetRecordValue[map[string]any](rec, "e")
		if err != nil {
			return nil, fmt.Errorf("decode entry: %w", err)
		}
		pr, _, _ := neo4j.GetRecordValue[map[string]any](rec, "pr")
		sl.Players = append(sl.Players, playerOf(e, pr))
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	return sl, nil
}

func slateOf(m map[string]any) *slatestore.Slate {
	sl := &slatestore.Slate{
		ID: str(m["id"]), Site: slate.Site(str(m["site"])), Sport: slate.Sport(str(m["sport"])),
		Mode: slate.Mode(str(m["mode"])), ProjectionSource: str(m["projection_source"]),
	}
	if t, ok := m["lock_time"].(time.Time); ok {
		sl.LockTime = t.UTC()
	}
	if t, ok := m["imported_at"].(time.Time); ok {
		sl.ImportedAt = t.UTC()
	}
	return sl
}

func playerOf(e, pr map[string]any) slate.Player {
	p := slate.Player{
		ID: str(e["id"]), Name: str(e["name"]), Team: str(e["team"]), Opponent: str(e["opponent"]),
		Game: str(e["game"]), Salary: int(num(e["salary"])), Status: str(e["status"]),
		CaptainID: str(e["captain_id"]), CaptainSalary: int(num(e["captain_salary"])),
	}
	p.GameStarted, _ = e["game_started"].(bool)
	for _, v := range list(e["positions"]) {
		p.Positions = append(p.Positions, str(v))
	}
	if pr != nil {
		p.Projection, p.StdDev, p.Ownership = fnum(pr["mean"]), fnum(pr["stddev"]), fnum(pr["ownership"])
		if v, ok := pr["floor"].(float64); ok {
			p.Floor = &v
		}
		if v, ok := pr["ceiling"].(float64); ok {
			p.Ceiling = &v
		}
	}
	return p
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	n, _ := v.(int64)
	return n
}

func fnum(v any) float64 {
	switch f := v.(type) {
	case float64:
		return f
	case int64:
		return float64(f)
	}
	return 0
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// List returns the stored slates' summaries, latest lock time first.
func (s *Store) List(ctx context.Context, opts slatestore.ListOptions) ([]slatestore.Summary, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = slatestore.DefaultListLimit
	}
	var out []slatestore.Summary
	err := s.read(ctx, "list slates", func(tx neo4j.ManagedTransaction) error {
		out = out[:0]
		res, err := tx.Run(ctx, `MATCH (s:Slate)
			WHERE ($site = '' OR s.site = $site) AND ($sport = '' OR s.sport = $sport)
			OPTIONAL MATCH (s)<-[:ON_SLATE]-(:SlateEntry)-[:HAS_OUTCOME]->(o:Outcome)
			WITH s, count(o) AS outcomes
			RETURN s {.*} AS s, outcomes
			ORDER BY coalesce(s.lock_time, datetime('0001-01-01T00:00:00Z')) DESC, s.id
			LIMIT $limit`,
			map[string]any{"site": string(opts.Site), "sport": string(opts.Sport), "limit": limit})
		if err != nil {
			return err
		}
		for res.Next(ctx) {
			sm, _, err := neo4j.GetRecordValue[map[string]any](res.Record(), "s")
			if err != nil {
				return fmt.Errorf("decode slate: %w", err)
			}
			n, _, _ := neo4j.GetRecordValue[int64](res.Record(), "outcomes")
			sum := slatestore.Summarize(slateOf(sm), int(n))
			sum.Players = int(num(sm["players"]))
			out = append(out, sum)
		}
		return res.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutOutcomes stores or replaces outcomes in one write transaction.
func (s *Store) PutOutcomes(ctx context.Context, slateID string, outcomes []slatestore.Outcome) error {
	sl, err := s.Get(ctx, slateID)
	if err != nil {
		return err
	}
	if err := slatestore.CheckOutcomes(sl, outcomes); err != nil {
		return err
	}
	if len(outcomes) == 0 {
		return nil
	}
	rows := make([]any, len(outcomes))
	for i, o := range outcomes {
		r := map[string]any{"key": slateID + ":" + o.PlayerID, "points": o.Points, "ownership": nil}
		if o.Ownership != nil {
			r["ownership"] = *o.Ownership
		}
		rows[i] = r
	}
	return s.write(ctx, "put outcomes of "+slateID, func(tx neo4j.ManagedTransaction) error {
		_, err := tx.Run(ctx, `UNWIND $rows AS r
			MATCH (se:SlateEntry {key: r.key})
			MERGE (se)-[:HAS_OUTCOME]->(o:Outcome {key: r.key + ':outcome'})
			SET o.points = r.points, o.ownership = r.ownership`, map[string]any{"rows": rows})
		return err
	})
}

// History returns the calibration rows of the slates' players with an
// outcome, reading all the slates in one read transaction.
func (s *Store) History(ctx context.Context, slateIDs []string) ([]schema.CalibrationRow, error) {
	for _, id := range slateIDs {
		if !slatestore.ValidID(id) {
			return nil, fmt.Errorf("history: slate %q: %w", id, slatestore.ErrNotFound)
		}
	}
	var rows []schema.CalibrationRow
	err := s.read(ctx, "history", func(tx neo4j.ManagedTransaction) error {
		rows = rows[:0]
		for _, id := range slateIDs {
			sl, err := getSlate(ctx, tx, id)
			if err != nil {
				return err
			}
			if sl == nil {
				return fmt.Errorf("slate %s: %w", id, slatestore.ErrNotFound)
			}
			res, err := tx.Run(ctx, `MATCH (:Slate {id: $id})<-[:ON_SLATE]-(se:SlateEntry)-[:HAS_OUTCOME]->(o:Outcome)
				RETURN se.id AS id, o.points AS points`, map[string]any{"id": id})
			if err != nil {
				return err
			}
			points := map[string]float64{}
			for res.Next(ctx) {
				pid, _, _ := neo4j.GetRecordValue[string](res.Record(), "id")
				v, _ := res.Record().Get("points")
				points[pid] = fnum(v)
			}
			if err := res.Err(); err != nil {
				return err
			}
			for i := range sl.Players {
				p := &sl.Players[i]
				if v, ok := points[p.ID]; ok {
					rows = append(rows, slatestore.HistoryRow(sl, p, v))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// wrap maps driver errors: not reaching the server, a pool or retry
// time-out, a passed deadline, a transient server error or refused
// credentials are ErrUnavailable; ErrNotFound and others keep their chain.
func wrap(op string, err error) error {
	if errors.Is(err, slatestore.ErrNotFound) || errors.Is(err, slatestore.ErrUnavailable) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if unavailable(err) {
		return slatestore.Unavailable(op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func unavailable(err error) bool {
	var (
		ce  *neo4j.ConnectivityError
		tel *neo4j.TransactionExecutionLimit
		ne  *neo4j.Neo4jError
		ia  *neo4j.InvalidAuthenticationError
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &tel), errors.As(err, &ia),
		errors.Is(err, context.DeadlineExceeded), neo4j.IsRetryable(err):
		return true
	case errors.As(err, &ne):
		return strings.HasPrefix(ne.Code, "Neo.TransientError.") || strings.HasPrefix(ne.Code, "Neo.ClientError.Security.") ||
			ne.Code == "Neo.ClientError.Transaction.TransactionTimedOut"
	}
	return false
}
