package jobs

import (
	"strings"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
)

// cacheKeyOf returns the result cache key of a submission whose body
// decoded to doc: the hex SHA-256 of its job type, feature flags and the
// digest of doc (digester: the decoded value, seed included), per
// principal. "" when the request is not cacheable (NoCache, or it names
// stored data).
func (s *Service) cacheKeyOf(sub Submission, doc any, flags []string) string {
	if sub.NoCache {
		return ""
	}
	sum, stored, err := s.digests.digest(doc)
	if err != nil || stored {
		return ""
	}
	return jobstore.CacheKey(sub.Principal.ID, hexSHA256([]byte(sub.Kind.Type), []byte(strings.Join(flags, ",")), sum[:]))
}
