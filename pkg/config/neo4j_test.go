package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNeo4j(t *testing.T) {
	g, err := LoadGateway(env())
	if err != nil || g.Neo4j.Enabled() || g.Neo4j.User != "neo4j" || g.Neo4j.MaxPool != DefaultNeo4jMaxPool ||
		g.Neo4j.Timeout != DefaultNeo4jTimeout {
		t.Fatalf("defaults: %+v %v", g.Neo4j, err)
	}
	w, err := LoadWorker(env("DFSOPT_REDIS_URL", "redis://r:6379/0", "DFSOPT_NEO4J_URI", "neo4j://db:7687",
		"DFSOPT_NEO4J_USER", "app", "DFSOPT_NEO4J_PASSWORD", "s3cret-pw", "DFSOPT_NEO4J_MAX_POOL", "8",
		"DFSOPT_NEO4J_TIMEOUT", "3s"))
	if err != nil {
		t.Fatal(err)
	}
	n := w.Neo4j
	if !n.Enabled() || n.URI != "neo4j://db:7687" || n.User != "app" || n.Password.Reveal() != "s3cret-pw" ||
		n.MaxPool != 8 || n.Timeout != 3*time.Second || n.Password.String() == "s3cret-pw" {
		t.Fatalf("values: %+v", n)
	}
	for _, tc := range []struct{ name, value, secret string }{
		{"DFSOPT_NEO4J_URI", "http://db:7474", ""},
		{"DFSOPT_NEO4J_URI", "bolt://neo4j:hunter22@db:7687", "hunter22"},
		{"DFSOPT_NEO4J_MAX_POOL", "0", ""},
		{"DFSOPT_NEO4J_TIMEOUT", "forever", ""},
	} {
		_, err := LoadGateway(env(tc.name, tc.value))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.name {
			t.Errorf("%s=%s: %v, want an error naming it", tc.name, tc.value, err)
		}
		if tc.secret != "" && err != nil && strings.Contains(err.Error(), tc.secret) {
			t.Errorf("%s: the error echoes the password: %v", tc.name, err)
		}
	}
}
