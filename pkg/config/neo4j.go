package config

import (
	"net/url"
	"time"
)

// Neo4j holds the slate store's Neo4j settings, shared by the gateway and
// the worker. Without a URI the slate store is Redis (the embedded
// default).
type Neo4j struct {
	// URI is DFSOPT_NEO4J_URI (bolt://, neo4j://, or their +s/+ssc forms).
	URI string
	// User is DFSOPT_NEO4J_USER.
	User string
	// Password is DFSOPT_NEO4J_PASSWORD.
	Password Secret
	// MaxPool is DFSOPT_NEO4J_MAX_POOL: the driver's connection pool size.
	MaxPool int
	// Timeout is DFSOPT_NEO4J_TIMEOUT: the bound of each slate store
	// operation (connection acquisition, connecting, the transaction and
	// its retries); past it the operation fails as unavailable (503).
	Timeout time.Duration
}

// Enabled reports whether the slate store is Neo4j.
func (n Neo4j) Enabled() bool { return n.URI != "" }

// Defaults of the Neo4j settings.
const (
	DefaultNeo4jUser    = "neo4j"
	DefaultNeo4jMaxPool = 50
	DefaultNeo4jTimeout = 10 * time.Second
)

// neo4jSchemes are the URI schemes of the Neo4j driver.
var neo4jSchemes = map[string]bool{"bolt": true, "bolt+s": true, "bolt+ssc": true, "neo4j": true, "neo4j+s": true, "neo4j+ssc": true}

func (p *parser) neo4j() Neo4j {
	n := Neo4j{
		URI:      p.str("DFSOPT_NEO4J_URI", ""),
		User:     p.str("DFSOPT_NEO4J_USER", DefaultNeo4jUser),
		Password: Secret(p.str("DFSOPT_NEO4J_PASSWORD", "")),
		MaxPool:  p.intRange("DFSOPT_NEO4J_MAX_POOL", DefaultNeo4jMaxPool, 1, 1000),
		Timeout:  p.duration("DFSOPT_NEO4J_TIMEOUT", DefaultNeo4jTimeout, 100*time.Millisecond, 5*time.Minute),
	}
	if n.URI == "" {
		return n
	}
	u, err := url.Parse(n.URI)
	if err != nil || !neo4jSchemes[u.Scheme] || u.Host == "" {
		// The value may hold credentials: name the variable, not the value.
		p.fail("DFSOPT_NEO4J_URI", "must be a bolt:// or neo4j:// URI with a host (e.g. bolt://localhost:7687)")
		n.URI = ""
		return n
	}
	if u.User != nil {
		p.fail("DFSOPT_NEO4J_URI", "must not carry credentials: use DFSOPT_NEO4J_USER and DFSOPT_NEO4J_PASSWORD")
		n.URI = ""
	}
	return n
}
