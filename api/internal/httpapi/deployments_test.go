package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/worker/runner"
)

// The deployment files are checked here, without Docker or a cluster:
// they parse, name only variables pkg/config reads, use the binaries'
// default ports, and probe routes the binaries serve.

const repoRoot = "../../.."

// configVars are the DFSOPT_* variables pkg/config reads, and the Go
// runtime's GOGC and GOMEMLIMIT (read by every binary).
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "pkg/config/*.go"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{"GOGC": true, "GOMEMLIMIT": true}
	re := regexp.MustCompile(`"(DFSOPT_[A-Z0-9_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			vars[string(m[1])] = true
		}
	}
	if !vars["DFSOPT_REDIS_URL"] || !vars["DFSOPT_METRICS_ADDR"] {
		t.Fatalf("variables not found in pkg/config: %v", vars)
	}
	return vars
}

// port of a listen address (":8080" -> "8080").
func port(t *testing.T, addr string) string {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("no port in %q", addr)
	}
	return addr[i+1:]
}

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       map[string]string `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Expose      []string          `yaml:"expose"`
		Deploy      struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
		StopGrace string   `yaml:"stop_grace_period"`
		Volumes   []string `yaml:"volumes"`
	} `yaml:"services"`
}

func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	vars := configVars(t)
	for _, name := range []string{"redis", "neo4j", "gateway", "worker", "prometheus", "grafana"} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		switch {
		case s.Build != nil:
			df := filepath.Join(repoRoot, s.Build["dockerfile"])
			checkDockerfile(t, df)
		case s.Image == "" || !strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest"):
			t.Errorf("service %s: image %q has no pinned tag", name, s.Image)
		}
		for k := range s.Environment {
			if strings.HasPrefix(k, "DFSOPT_") && !vars[k] {
				t.Errorf("service %s sets %s, which no binary reads", name, k)
			}
		}
	}
	if cmd := strings.Join(c.Services["redis"].Command, " "); !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("redis without AOF: %s", cmd)
	}
	if n := c.Services["worker"].Deploy.Replicas; n != 3 {
		t.Errorf("worker replicas %d, want 3", n)
	}
	gw, wk := c.Services["gateway"], c.Services["worker"]
	if gw.Environment["DFSOPT_HTTP_ADDR"] != config.DefaultHTTPAddr || len(gw.Ports) != 1 || !strings.HasSuffix(gw.Ports[0], ":"+port(t, config.DefaultHTTPAddr)) {
		t.Errorf("gateway address %q / ports %v, want the default %s", gw.Environment["DFSOPT_HTTP_ADDR"], gw.Ports, config.DefaultHTTPAddr)
	}
	if wk.Environment["DFSOPT_METRICS_ADDR"] != config.DefaultMetricsAddr || len(wk.Expose) != 1 || wk.Expose[0] != port(t, config.DefaultMetricsAddr) {
		t.Errorf("worker metrics %q / expose %v, want the default %s", wk.Environment["DFSOPT_METRICS_ADDR"], wk.Expose, config.DefaultMetricsAddr)
	}
	// Compose's grace periods exceed the default shutdown timeout.
	for _, name := range []string{"gateway", "worker"} {
		if d, err := time.ParseDuration(c.Services[name].StopGrace); err != nil || d <= config.DefaultShutdownTimeout {
			t.Errorf("%s stop_grace_period %q, want above %s", name, c.Services[name].StopGrace, config.DefaultShutdownTimeout)
		}
	}
	// Mounted config files exist.
	for _, name := range []string{"prometheus", "grafana"} {
		for _, v := range c.Services[name].Volumes {
			if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			}
		}
	}
}

func checkDockerfile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	s := string(b)
	if strings.Count(s, "\nFROM ") < 2 || !strings.Contains(s, "USER nonroot") {
		t.Errorf("%s: want a multi-stage build running as nonroot", path)
	}
}

type prometheusConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName     string `yaml:"job_name"`
		MetricsPath string `yaml:"metrics_path"`
		DNSSD       []struct {
			Names []string `yaml:"names"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

func TestPrometheusConfig(t *testing.T) {
	var p prometheusConfig
	mustYAML(t, "deployments/prometheus/prometheus.yml", &p)
	ports := map[string]string{"gateway": port(t, config.DefaultHTTPAddr), "worker": port(t, config.DefaultMetricsAddr)}
	seen := 0
	for _, sc := range p.ScrapeConfigs {
		for _, d := range sc.DNSSD {
			for _, n := range d.Names {
				if want, ok := ports[n]; ok {
					seen++
					if strconv.Itoa(d.Port) != want || sc.MetricsPath != "/metrics" {
						t.Errorf("scrape %s on %d%s, want %s/metrics", n, d.Port, sc.MetricsPath, want)
					}
				}
			}
		}
	}
	if seen != 2 {
		t.Errorf("want the gateway and the workers scraped, got %d", seen)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	mustYAML(t, "deployments/prometheus/alerts.yml", &rules)
	alerts := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = r.Expr
		}
	}
	for name, series := range map[string]string{"DfsoptQueueBacklog": "dfsopt_queue_latency_seconds",
		"DfsoptJobFailureRate": "dfsopt_jobs_finished_total", "DfsoptNoWorkers": `job="dfsopt-worker"`} {
		if !strings.Contains(alerts[name], series) {
			t.Errorf("alert %s: expr %q does not use %s", name, alerts[name], series)
		}
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []any  `json:"panels"`
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "deployments/grafana/dashboards/dfsopt.json"))
	if err != nil || yaml.Unmarshal(b, &dash) != nil || dash.UID == "" || len(dash.Panels) == 0 {
		t.Errorf("grafana dashboard: %v %+v", err, dash)
	}
}

func mustYAML(t *testing.T, rel string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// k8sObject is the part of a manifest the checks read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		Triggers []struct {
			Type     string            `yaml:"type"`
			Metadata map[string]string `yaml:"metadata"`
		} `yaml:"triggers"`
		Template struct {
			Spec struct {
				Grace      int `yaml:"terminationGracePeriodSeconds"`
				Containers []struct {
					Name  string `yaml:"name"`
					Image string `yaml:"image"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Env []struct {
						Name      string `yaml:"name"`
						Value     string `yaml:"value"`
						ValueFrom *struct {
							SecretKeyRef struct {
								Name string `yaml:"name"`
								Key  string `yaml:"key"`
							} `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					Startup   *k8sProbe `yaml:"startupProbe"`
					Liveness  *k8sProbe `yaml:"livenessProbe"`
					Readiness *k8sProbe `yaml:"readinessProbe"`
					Resources struct {
						Requests map[string]string `yaml:"requests"`
						Limits   map[string]string `yaml:"limits"`
					} `yaml:"resources"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func TestKubernetesManifests(t *testing.T) {
	var kust struct {
		Resources       []string `yaml:"resources"`
		SecretGenerator []struct {
			Name string   `yaml:"name"`
			Envs []string `yaml:"envs"`
		} `yaml:"secretGenerator"`
		Images []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
	mustYAML(t, "deployments/k8s/kustomization.yaml", &kust)
	if len(kust.SecretGenerator) != 1 {
		t.Fatalf("want one secret generator: %+v", kust.SecretGenerator)
	}
	secretName := kust.SecretGenerator[0].Name
	exampleKeys := map[string]bool{}
	b, err := os.ReadFile(filepath.Join(repoRoot, "deployments/k8s", kust.SecretGenerator[0].Envs[0]+".example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			exampleKeys[k] = true
		}
	}
	images := map[string]bool{}
	for _, im := range kust.Images {
		images[im.Name] = true
	}
	objs := map[string]k8sObject{}
	for _, res := range kust.Resources {
		f, err := os.ReadFile(filepath.Join(repoRoot, "deployments/k8s", res))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(f))
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", res, err)
			}
			objs[o.Kind+"/"+o.Metadata.Name] = o
		}
	}
	for _, want := range []string{"Deployment/gateway", "Service/gateway", "PodDisruptionBudget/gateway", "HorizontalPodAutoscaler/gateway",
		"Deployment/worker", "PodDisruptionBudget/worker", "ScaledObject/worker"} {
		if _, ok := objs[want]; !ok {
			t.Errorf("no %s", want)
		}
	}
	if objs["HorizontalPodAutoscaler/gateway"].Spec.ScaleTargetRef.Name != "gateway" || objs["ScaledObject/worker"].Spec.ScaleTargetRef.Name != "worker" {
		t.Error("the autoscalers target the wrong deployments")
	}
	if tr := objs["ScaledObject/worker"].Spec.Triggers; len(tr) != 1 || !strings.Contains(tr[0].Metadata["query"], "dfsopt_queue_tasks") {
		t.Errorf("KEDA does not scale on queue depth: %+v", tr)
	}

	vars := configVars(t)
	gatewayServes := servedGETs(t)
	workerServes := func(path string) bool {
		ops := &runner.Ops{Metrics: http.NotFoundHandler(), Watchdog: runner.NewWatchdog(time.Minute), Log: zap.NewNop()}
		w := httptest.NewRecorder()
		ops.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code == http.StatusOK
	}
	for name, want := range map[string]struct {
		addrVar, defAddr string
		serves           func(string) bool
	}{
		"gateway": {"DFSOPT_HTTP_ADDR", config.DefaultHTTPAddr, func(p string) bool { return gatewayServes[p] }},
		"worker":  {"DFSOPT_METRICS_ADDR", config.DefaultMetricsAddr, workerServes},
	} {
		d := objs["Deployment/"+name]
		if len(d.Spec.Template.Spec.Containers) != 1 {
			t.Errorf("%s: want one container", name)
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		if !images[c.Image] {
			t.Errorf("%s: image %s is not set by the kustomization", name, c.Image)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			if !vars[e.Name] {
				t.Errorf("%s sets %s, which no binary reads", name, e.Name)
			}
			env[e.Name] = e.Value
			if e.ValueFrom != nil {
				if e.ValueFrom.SecretKeyRef.Name != secretName || !exampleKeys[e.ValueFrom.SecretKeyRef.Key] {
					t.Errorf("%s: %s from secret %s key %s, not in %s", name, e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key, secretName)
				}
			}
		}
		if env[want.addrVar] != want.defAddr || len(c.Ports) != 1 || strconv.Itoa(c.Ports[0].ContainerPort) != port(t, want.defAddr) {
			t.Errorf("%s: %s=%q, ports %+v, want the default %s", name, want.addrVar, env[want.addrVar], c.Ports, want.defAddr)
		}
		for kind, p := range map[string]*k8sProbe{"startup": c.Startup, "liveness": c.Liveness, "readiness": c.Readiness} {
			if p == nil {
				t.Errorf("%s: no %s probe", name, kind)
				continue
			}
			if p.HTTPGet.Port != c.Ports[0].Name || !want.serves(p.HTTPGet.Path) {
				t.Errorf("%s: %s probe %s on %s is not served", name, kind, p.HTTPGet.Path, p.HTTPGet.Port)
			}
		}
		if c.Liveness != nil && c.Liveness.HTTPGet.Path != "/live" || c.Readiness != nil && c.Readiness.HTTPGet.Path != "/ready" {
			t.Errorf("%s: liveness must be /live and readiness /ready", name)
		}
		if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
			t.Errorf("%s: resources %+v", name, c.Resources)
		}
		shutdown, err1 := time.ParseDuration(env["DFSOPT_SHUTDOWN_TIMEOUT"])
		drain, err2 := time.ParseDuration(orZero(env["DFSOPT_DRAIN_DELAY"]))
		grace := time.Duration(d.Spec.Template.Spec.Grace) * time.Second
		if err1 != nil || err2 != nil || grace <= shutdown+drain {
			t.Errorf("%s: terminationGracePeriodSeconds %s not above DFSOPT_SHUTDOWN_TIMEOUT %s + DFSOPT_DRAIN_DELAY %s", name, grace, shutdown, drain)
		}
	}
}

func orZero(s string) string {
	if s == "" {
		return "0s"
	}
	return s
}

// servedGETs are the gateway's GET routes.
func servedGETs(t *testing.T) map[string]bool {
	engine, ok := newFixture(t).h.(*gin.Engine)
	if !ok {
		t.Fatal("New does not return a *gin.Engine")
	}
	out := map[string]bool{}
	for _, r := range engine.Routes() {
		if r.Method == http.MethodGet {
			out[r.Path] = true
		}
	}
	return out
}
