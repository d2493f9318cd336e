package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
)

// storedDataField reports whether a request field names data stored apart
// from the request (slates, calibrations): such requests are never served
// from the result cache, as that data may change.
func storedDataField(name string) bool {
	switch name {
	case "slate_id", "slate_ids", "source", "calibration_id":
		return true
	}
	return false
}

// cacheKeyOf returns the result cache key of a submission: the hex SHA-256
// of its job type, feature flags and canonical request document (keys
// sorted, no insignificant space; the seed is part of it), per principal.
// "" when the request is not cacheable.
func cacheKeyOf(sub Submission, flags []string) string {
	if sub.NoCache {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(sub.Body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil || refersToStoredData(doc) {
		return ""
	}
	canon, err := json.Marshal(doc)
	if err != nil {
		return ""
	}
	return jobstore.CacheKey(sub.Principal.ID, hexSHA256([]byte(sub.Kind.Type), []byte(strings.Join(flags, ",")), canon))
}

func refersToStoredData(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if (storedDataField(k) && x != nil) || refersToStoredData(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if refersToStoredData(x) {
				return true
			}
		}
	}
	return false
}

// fromCache creates j as already succeeded with the cached result of its
// cache key, if there is one; it reports whether it did.
func (s *Service) fromCache(ctx context.Context, j *jobstore.Job) (bool, error) {
	if j.CacheKey == "" {
		return false, nil
	}
	res, err := s.store.CachedResult(ctx, j.CacheKey)
	if err != nil {
		logging.From(ctx).Warn("cannot read the result cache; computing", zap.Error(err))
		return false, nil
	}
	if res == nil {
		return false, nil
	}
	if err := s.store.CreateSucceeded(ctx, j, res); err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	logging.From(ctx).Info("job served from the result cache", zap.String("job_id", j.ID), zap.String("type", j.Type))
	return true, nil
}
