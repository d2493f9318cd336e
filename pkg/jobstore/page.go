package jobstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrBadCursor: a listing cursor that ListPage did not make.
var ErrBadCursor = errors.New("invalid cursor")

// maxScanned bounds the index entries one ListPage call examines, so that a
// filter matching few jobs cannot make one request read a whole index; the
// page then ends early with a cursor to go on from.
const maxScanned = 2000

// ListOptions select a page of jobs.
type ListOptions struct {
	// Owner lists that principal's jobs; "" lists every job (admins).
	Owner string
	// Status and Type, when set, keep only jobs with that status or type.
	Status Status
	Type   string
	// Limit is the most jobs on the page (below 1: 1).
	Limit int
	// Cursor is a Page's NextCursor ("": from the newest job).
	Cursor string
}

// Page is a page of jobs, newest first.
type Page struct {
	Jobs []*Job
	// NextCursor continues the listing after this page ("": no more).
	NextCursor string
}

type position struct {
	score int64
	id    string
}

func (p position) cursor() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.score, 10) + ":" + p.id))
}

func parseCursor(c string) (position, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return position{}, ErrBadCursor
	}
	score, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(score, 10, 64)
	if !ok || err != nil || id == "" {
		return position{}, ErrBadCursor
	}
	return position{score: n, id: id}, nil
}

// ListPage returns a page of jobs (one principal's, or everyone's), newest
// first, filtered by status and type, and the cursor of the next page.
// Expired jobs are skipped. ErrBadCursor for a cursor it did not make.
func (s *Store) ListPage(ctx context.Context, o ListOptions) (*Page, error) {
	o.Limit = max(o.Limit, 1)
	index := AllKey
	if o.Owner != "" {
		index = OwnerKey(o.Owner)
	}
	maxScore := "+inf"
	var after *position
	if o.Cursor != "" {
		p, err := parseCursor(o.Cursor)
		if err != nil {
			return nil, err
		}
		after, maxScore = &p, strconv.FormatInt(p.score, 10)
	}
	batch := max(int64(o.Limit), 50)
	page := &Page{}
	var offset int64
	scanned := 0
	for {
		zs, err := s.rdb.ZRevRangeByScoreWithScores(ctx, index, &redis.ZRangeBy{Max: maxScore, Min: "-inf", Offset: offset, Count: batch}).Result()
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		offset += int64(len(zs))
		ids := make([]string, 0, len(zs))
		pos := make([]position, 0, len(zs))
		for _, z := range zs {
			p := position{score: int64(z.Score), id: z.Member.(string)}
			// Entries of the cursor's millisecond at or before it (members
			// of one score come in descending order) were listed already.
			if after != nil && p.score == after.score && p.id >= after.id {
				continue
			}
			ids, pos = append(ids, p.id), append(pos, p)
		}
		jobs, err := s.getMany(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, j := range jobs {
			scanned++
			if j != nil && (o.Owner == "" || j.Owner == o.Owner) &&
				(o.Status == "" || j.Status == o.Status) && (o.Type == "" || j.Type == o.Type) {
				page.Jobs = append(page.Jobs, j)
			}
			if len(page.Jobs) == o.Limit || scanned >= maxScanned {
				if i < len(jobs)-1 || int64(len(zs)) == batch {
					page.NextCursor = pos[i].cursor()
				}
				return page, nil
			}
		}
		if int64(len(zs)) < batch {
			return page, nil
		}
	}
}

// getMany reads job records (nil for the expired ones).
func (s *Store) getMany(ctx context.Context, ids []string) ([]*Job, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, JobKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	jobs := make([]*Job, len(ids))
	for i, c := range cmds {
		if m := c.Val(); len(m) > 0 {
			j, err := parseJob(m)
			if err != nil {
				return nil, err
			}
			jobs[i] = j
		}
	}
	return jobs, nil
}
