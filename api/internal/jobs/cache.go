package jobs

import (
	"strings"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
)

// cacheKeyOf returns the result cache key of a submission: the hex SHA-256
// of its job type, feature flags and canonical request document
// (canonicalJSON: members sorted by key, no insignificant space; the seed
// is part of it), per principal. "" when the request is not cacheable.
func cacheKeyOf(sub Submission, flags []string) string {
	if sub.NoCache {
		return ""
	}
	canon, stored, err := canonicalJSON(sub.Body)
	if err != nil || stored {
		return ""
	}
	return jobstore.CacheKey(sub.Principal.ID, hexSHA256([]byte(sub.Kind.Type), []byte(strings.Join(flags, ",")), canon))
}
