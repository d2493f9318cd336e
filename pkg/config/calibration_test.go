package config

import (
	"errors"
	"testing"
	"time"
)

func TestCalibrationCacheSettings(t *testing.T) {
	env := func(kv map[string]string) Lookup {
		return func(name string) (string, bool) { v, ok := kv[name]; return v, ok }
	}
	base := map[string]string{"DFSOPT_REDIS_URL": "redis://localhost:6379/0"}
	w, err := LoadWorker(env(base))
	if err != nil || w.CalibrationTTL != DefaultCalibrationTTL || w.CalibrationMaxPerSport != DefaultCalibrationMaxPerSport {
		t.Fatalf("defaults: %+v %v", w, err)
	}
	base["DFSOPT_CALIBRATION_TTL"], base["DFSOPT_CALIBRATION_MAX_PER_SPORT"] = "48h", "5"
	g, err := LoadGateway(env(base))
	if err != nil || g.CalibrationTTL != 48*time.Hour || g.CalibrationMaxPerSport != 5 {
		t.Fatalf("set: %+v %v", g, err)
	}
	for name, v := range map[string]string{"DFSOPT_CALIBRATION_TTL": "10s", "DFSOPT_CALIBRATION_MAX_PER_SPORT": "0"} {
		bad := map[string]string{"DFSOPT_REDIS_URL": "redis://localhost:6379/0", name: v}
		_, err := LoadWorker(env(bad))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
}
