package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// realRedis returns a real Redis: DFSOPT_TEST_REDIS_URL when set, else a
// redis-server started for the test when one is installed, else (saying
// so loudly) miniredis.
func realRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	if os.Getenv(redistest.EnvURL) != "" {
		return redistest.New(t).Client
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Log("WARNING: no redis-server and no " + redistest.EnvURL + ": the fan-out runs on miniredis")
		return redistest.New(t).Client
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { _ = c.Close() })
	for i := 0; ; i++ {
		if c.Ping(context.Background()).Err() == nil {
			return c
		}
		if i > 100 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fanRequest is a small contest_sim request with a generated field.
func fanRequest(sims int) []byte {
	var players []map[string]any
	pos := []string{"QB", "RB", "RB", "WR", "WR", "WR", "TE", "DST", "RB", "WR", "TE", "QB"}
	for g := range 3 {
		for side := range 2 {
			team, opp := fmt.Sprintf("T%d%d", g, side), fmt.Sprintf("T%d%d", g, 1-side)
			for k, p := range pos {
				players = append(players, map[string]any{"id": fmt.Sprintf("%s-%d", team, k), "positions": []string{p}, "team": team,
					"opponent": opp, "game": fmt.Sprintf("T%d0@T%d1", g, g), "salary": 3000 + 400*((k*7+g)%10),
					"projection": 4 + float64((k*5+g*3+side)%17), "ownership": 0.05 + 0.02*float64(k%5)})
			}
		}
	}
	entries := [][]string{
		{"T00-0", "T00-1", "T10-2", "T00-3", "T11-4", "T20-5", "T21-6", "T10-8", "T20-7"},
		{"T01-0", "T01-1", "T11-2", "T01-3", "T10-4", "T21-5", "T20-6", "T11-8", "T21-7"},
	}
	b, _ := json.Marshal(map[string]any{"site": "draftkings", "sport": "nfl", "players": players, "entries": entries,
		"field":   map[string]any{"size": 300},
		"contest": map[string]any{"entry_fee": 5, "payouts": []map[string]any{{"places": []int{1, 1}, "prize": 300}, {"places": []int{2, 10}, "prize": 40}, {"places": []int{11, 60}, "prize": 9}}},
		"sims":    sims, "seed": 42})
	return b
}

// singleRun is the reference: the contest simulated in one process.
func singleRun(t *testing.T, body []byte) *schema.ContestSimResult {
	t.Helper()
	var req schema.ContestSimRequest
	if err := schema.DecodeBytes(body, &req); err != nil {
		t.Fatal(err)
	}
	res, err := contest.Simulate(context.Background(), &req, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sameResult(t *testing.T, got []byte, want *schema.ContestSimResult) {
	t.Helper()
	var res schema.ContestSimResult
	if err := json.Unmarshal(got, &res); err != nil {
		t.Fatal(err)
	}
	res.Stats.SimMS, want.Stats.SimMS = 0, 0
	if !reflect.DeepEqual(&res, want) {
		t.Errorf("fanned-out result differs from the single run:\n got %+v\nwant %+v", res, *want)
	}
}

func newFanJob(t *testing.T, store *jobstore.Store, id string, body []byte) *asynq.Task {
	t.Helper()
	ctx := context.Background()
	kind, _ := task.Standard(job.Services{}).Lookup(task.TypeContestSim)
	if err := store.Create(ctx, &jobstore.Job{ID: id, Type: task.TypeContestSim, Queue: "critical", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	req, err := kind.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := kind.NewTask(&task.Payload{JobID: id, Request: body, Principal: "alice", RequestID: "r-" + id}, req, "critical")
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestFanOutThroughWorkers runs a contest_sim job split into 4 chunk tasks
// through an Asynq server on Redis: the merged result equals the single run.
func TestFanOutThroughWorkers(t *testing.T) {
	rdb := realRedis(t)
	store := jobstore.New(rdb, time.Hour)
	reg := task.Standard(job.Services{})
	h := NewHandler(reg, store, zap.NewNop())
	pool := config.WorkerPool{Concurrency: 2, QueueWeights: map[string]int{"critical": 6, "default": 3, "low": 1}, PollInterval: 20 * time.Millisecond}
	srv := NewServer(rdb, pool, 2*time.Second, h, zap.NewNop())
	srv.EnableFanOut(NewFanOut(FanOutConfig{ChunkSims: 250, Threshold: 1000}, asynq.NewClientFromRedisClient(rdb), store, reg, nil, zap.NewNop()))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	ctx := context.Background()

	body := fanRequest(1000)
	if _, err := client.EnqueueContext(ctx, newFanJob(t, store, "fan-1", body)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var phases []string
	for {
		j, err := store.Get(ctx, "fan-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(phases) == 0 || phases[len(phases)-1] != j.Progress.Phase {
			phases = append(phases, j.Progress.Phase)
		}
		if j.Status == jobstore.StatusSucceeded {
			break
		}
		if j.Status.Final() || time.Now().After(deadline) {
			t.Fatalf("job %+v", j)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := store.Result(ctx, "fan-1")
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, got, singleRun(t, body))
	if !strings.Contains(strings.Join(phases, "|"), "chunks") {
		t.Errorf("phases %q", phases)
	}
	// The fan-out keys are gone.
	if n, _ := rdb.Keys(ctx, "dfsopt:fanout:*").Result(); len(n) != 0 {
		t.Errorf("fan-out keys left: %v", n)
	}
	t.Logf("phases %q", phases)

	// A small job is not split.
	small := fanRequest(100)
	if _, err := client.EnqueueContext(ctx, newFanJob(t, store, "fan-small", small)); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		if j, _ := store.Get(ctx, "fan-small"); j != nil && j.Status.Final() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err = store.Result(ctx, "fan-small")
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, got, singleRun(t, small))
}

// TestFanOutRedelivery drives the parent and chunk handlers by hand, with
// every task delivered twice and chunks out of order: the result is written
// once and equals the single run.
func TestFanOutRedelivery(t *testing.T) {
	rdb := realRedis(t)
	store := jobstore.New(rdb, time.Hour)
	reg := task.Standard(job.Services{})
	f := NewFanOut(FanOutConfig{ChunkSims: 300, Threshold: 1}, asynq.NewClientFromRedisClient(rdb), store, reg, nil, zap.NewNop())
	ctx := context.Background()
	body := fanRequest(1000)
	parent := newFanJob(t, store, "fan-2", body)
	for range 2 {
		if done, err := f.split(ctx, parent); !done || err != nil {
			t.Fatalf("split: %v %v", done, err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	tasks, err := insp.ListPendingTasks("critical")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 4 {
		t.Fatalf("%d chunk tasks, want 4 (1000 sims in chunks of 300)", len(tasks))
	}
	byID := map[string]*asynq.Task{}
	for _, ti := range tasks {
		byID[ti.ID] = asynq.NewTask(ti.Type, ti.Payload)
	}
	for _, i := range []int{2, 0, 2, 3, 0} {
		if err := f.processChunk(ctx, byID[fmt.Sprintf("fan-2:chunk:%d", i)]); err != nil {
			t.Fatal(err)
		}
	}
	if j, _ := store.Get(ctx, "fan-2"); j.Status != jobstore.StatusRunning || j.Progress.Done != 900 {
		t.Fatalf("before the last chunk: %+v", j)
	}
	for _, i := range []int{1, 1, 3} {
		if err := f.processChunk(ctx, byID[fmt.Sprintf("fan-2:chunk:%d", i)]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Result(ctx, "fan-2")
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, got, singleRun(t, body))
	// A canceled job makes chunks no-ops.
	parent = newFanJob(t, store, "fan-3", body)
	if done, err := f.split(ctx, parent); !done || err != nil {
		t.Fatal(err)
	}
	if _, err := store.Cancel(ctx, "fan-3", "alice"); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(task.ChunkPayload{JobID: "fan-3", Principal: "alice", Chunk: 0, Chunks: 4, SimStart: 0, SimEnd: 300})
	if err := f.processChunk(ctx, asynq.NewTask(task.TypeContestSimChunk, b)); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, jobstore.PartialKey("fan-3", 0)).Result(); n != 0 {
		t.Error("canceled job's chunk computed")
	}
}

// fanCalibration is an NFL calibration of QB, RB, WR and TE whose biases
// are scaled by bias (distinct ids for distinct biases).
func fanCalibration(id string, bias float64) *schema.CalibrateResult {
	p := func(name string, v float64) schema.CalibrationParameter {
		return schema.CalibrationParameter{Name: name, Mean: v}
	}
	return &schema.CalibrateResult{
		CalibrationID: id, Sport: "nfl",
		Model: schema.CalibrationModel{Family: calibrate.Family, MinProjection: 5, Positions: []string{"QB", "RB", "WR", "TE"}},
		Parameters: []schema.CalibrationParameter{
			p("QB.bias", 0.9*bias), p("QB.sd_intercept", 4), p("QB.sd_slope", 0.1), p("QB.shape", 0.3),
			p("RB.bias", 1.1*bias), p("RB.sd_intercept", 2), p("RB.sd_slope", 0.4), p("RB.shape", 0.8),
			p("WR.bias", 2*bias), p("WR.sd_intercept", 2.5), p("WR.sd_slope", 0.4), p("WR.shape", 0.7),
			p("TE.bias", 0.95*bias), p("TE.sd_intercept", 2), p("TE.sd_slope", 0.4), p("TE.shape", 0.8),
			p("QB-WR.same_team", 0.3),
		},
	}
}

// TestFanOutCalibrated: a fanned-out contest_sim job naming "latest"
// resolves it once in the parent and pins the id into every chunk: chunks
// run after a newer calibration became the latest still use the pinned
// one, and the merged result equals the single calibrated run.
func TestFanOutCalibrated(t *testing.T) {
	rdb := realRedis(t)
	store := jobstore.New(rdb, time.Hour)
	cache := calibcache.New(rdb, time.Hour, 10)
	ctx := context.Background()
	first, second := fanCalibration("cal_00000000000000000000000000000001", 1), fanCalibration("cal_00000000000000000000000000000002", 0.5)
	if err := cache.Put(ctx, first); err != nil {
		t.Fatal(err)
	}
	reg := task.Standard(job.Services{Calibrations: cache})
	f := NewFanOut(FanOutConfig{ChunkSims: 300, Threshold: 1}, asynq.NewClientFromRedisClient(rdb), store, reg, cache, zap.NewNop())
	var doc map[string]any
	if err := json.Unmarshal(fanRequest(1000), &doc); err != nil {
		t.Fatal(err)
	}
	doc["calibration_id"] = "latest"
	body, _ := json.Marshal(doc)
	if done, err := f.split(ctx, newFanJob(t, store, "fan-cal", body)); !done || err != nil {
		t.Fatalf("split: %v %v", done, err)
	}
	// A newer calibration becomes the latest while the chunks wait.
	if err := cache.Put(ctx, second); err != nil {
		t.Fatal(err)
	}
	tasks, err := asynq.NewInspectorFromRedisClient(rdb).ListPendingTasks("critical")
	if err != nil || len(tasks) != 4 {
		t.Fatalf("%d chunk tasks (%v), want 4", len(tasks), err)
	}
	for _, ti := range tasks {
		var cp task.ChunkPayload
		if err := json.Unmarshal(ti.Payload, &cp); err != nil || cp.CalibrationID != first.CalibrationID {
			t.Fatalf("chunk payload pins %q (%v), want %s", cp.CalibrationID, err, first.CalibrationID)
		}
		if err := f.processChunk(ctx, asynq.NewTask(ti.Type, ti.Payload)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Result(ctx, "fan-cal")
	if err != nil {
		t.Fatal(err)
	}
	var req schema.ContestSimRequest
	if err := schema.DecodeBytes(body, &req); err != nil {
		t.Fatal(err)
	}
	want, err := contest.SimulateWith(ctx, &req, nil, contest.Options{Calibration: first})
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, got, want)
	if strings.Contains(string(got), "not applied") {
		t.Errorf("result warns: %s", got)
	}
	// The uncalibrated run differs (the calibration did apply).
	plain := singleRun(t, fanRequest(1000))
	if reflect.DeepEqual(plain.Entries, want.Entries) {
		t.Error("calibrated and uncalibrated runs agree")
	}
}

// TestFanOutStoresRequestOnce: the chunk payloads carry a reference and a
// sim range, not the request (a 13 MB request copied into every chunk once
// took Redis to 1.37 GB); the request is stored once for the job.
func TestFanOutStoresRequestOnce(t *testing.T) {
	rdb := realRedis(t)
	store := jobstore.New(rdb, time.Hour)
	f := NewFanOut(FanOutConfig{ChunkSims: 300, Threshold: 1}, asynq.NewClientFromRedisClient(rdb), store, task.Standard(job.Services{}), nil, zap.NewNop())
	ctx := context.Background()
	body := fanRequest(1000)
	if done, err := f.split(ctx, newFanJob(t, store, "fan-once", body)); !done || err != nil {
		t.Fatalf("split: %v %v", done, err)
	}
	tasks, err := asynq.NewInspectorFromRedisClient(rdb).ListPendingTasks("critical")
	if err != nil || len(tasks) != 4 {
		t.Fatalf("%d chunk tasks (%v), want 4", len(tasks), err)
	}
	for _, ti := range tasks {
		if len(ti.Payload) > 512 || strings.Contains(string(ti.Payload), "players") {
			t.Fatalf("chunk payload of %d bytes carries the request: %.200s", len(ti.Payload), ti.Payload)
		}
	}
	if len(body) < 2048 {
		t.Fatalf("test request too small (%d bytes) to tell", len(body))
	}
	stored, err := store.FanOutRequest(ctx, "fan-once")
	if err != nil || string(stored) != string(body) {
		t.Fatalf("stored request: %d bytes, %v", len(stored), err)
	}
	if j, _ := store.Get(ctx, "fan-once"); j.Chunks != 4 || j.Deadline == nil {
		t.Fatalf("record %+v", j)
	}
}

// TestFanOutOneDeadline: chunks run against the job's one deadline: a chunk
// that starts after it fails the job as timeout (final), however fresh its
// own task is.
func TestFanOutOneDeadline(t *testing.T) {
	rdb := realRedis(t)
	store := jobstore.New(rdb, time.Hour)
	f := NewFanOut(FanOutConfig{ChunkSims: 300, Threshold: 1}, asynq.NewClientFromRedisClient(rdb), store, task.Standard(job.Services{}), nil, zap.NewNop())
	ctx := context.Background()
	if done, err := f.split(ctx, newFanJob(t, store, "fan-late", fanRequest(1000))); !done || err != nil {
		t.Fatalf("split: %v %v", done, err)
	}
	// The job's time runs out while its chunks wait.
	if err := rdb.HSet(ctx, jobstore.JobKey("fan-late"), "deadline", time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)).Err(); err != nil {
		t.Fatal(err)
	}
	tasks, _ := asynq.NewInspectorFromRedisClient(rdb).ListPendingTasks("critical")
	if len(tasks) == 0 {
		t.Fatal("no chunks")
	}
	if err := f.processChunk(ctx, asynq.NewTask(tasks[0].Type, tasks[0].Payload)); err != nil {
		t.Fatalf("late chunk is retried: %v", err)
	}
	j, _ := store.Get(ctx, "fan-late")
	if j.Status != jobstore.StatusFailed || j.Error == nil || j.Error.Code != CodeTimeout {
		t.Fatalf("job %+v %+v", j, j.Error)
	}
	for i := range 4 {
		if has, _ := store.HasPartial(ctx, "fan-late", i); has {
			t.Fatal("a chunk computed after the deadline")
		}
	}
}
