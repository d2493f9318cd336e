// Package backend provides Open: the slate store a configuration names,
// Neo4j when DFSOPT_NEO4J_URI is set and Redis otherwise. The gateway and
// the worker open their store through it.
package backend

import (
	"context"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/neo4jstore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/redisstore"
)

// Open returns the slate store: Neo4j when cfg is enabled (its schema is
// created now if it answers, else on first contact, so a binary starts
// while Neo4j is down: the gateway's slate routes answer 503 and jobs
// naming a slate are retried meanwhile), else Redis on rdb.
func Open(ctx context.Context, cfg config.Neo4j, rdb redis.UniversalClient, log *zap.Logger) (slatestore.Store, error) {
	if !cfg.Enabled() {
		log.Info("slate store: redis (DFSOPT_NEO4J_URI is unset)")
		return redisstore.New(rdb), nil
	}
	st, err := neo4jstore.New(neo4jstore.Options{URI: cfg.URI, User: cfg.User, Password: cfg.Password.Reveal(),
		MaxPool: cfg.MaxPool, Timeout: cfg.Timeout})
	if err != nil {
		return nil, err
	}
	if err := st.EnsureSchema(ctx); err != nil {
		log.Warn("slate store: neo4j does not answer yet; slate routes answer 503 and jobs naming a slate are retried until it does", zap.Error(err))
	}
	log.Info("slate store: neo4j", zap.Int("max_pool", cfg.MaxPool), zap.Duration("timeout", cfg.Timeout))
	return st, nil
}
