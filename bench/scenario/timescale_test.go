package scenario

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTimescaleDecodes: a scenario's time scale reads as a number, a ratio
// or auto, from YAML and back from results.json's JSON.
func TestTimescaleDecodes(t *testing.T) {
	for text, want := range map[string]Timescale{"0.08": Fixed(0.08), "1e-2": Fixed(0.01), `"1:50"`: Fixed(0.02), "auto": Auto, "1": Fixed(1)} {
		sc, err := Parse("t.yaml", []byte("timescale: "+text+"\n"+validScenario))
		if err != nil {
			t.Errorf("timescale: %s: %v", text, err)
			continue
		}
		if sc.Timescale != want {
			t.Errorf("timescale: %s read as %+v, want %+v", text, sc.Timescale, want)
		}
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		var back Scenario
		if err := json.Unmarshal(b, &back); err != nil || back.Timescale != want {
			t.Errorf("timescale %s through JSON %s: %+v, %v", text, b, back.Timescale, err)
		}
	}
	var sc Scenario
	if err := json.Unmarshal([]byte(`{"timescale": 0}`), &sc); err != nil || !sc.Timescale.IsZero() {
		t.Errorf("results written without a scale: %+v, %v", sc.Timescale, err)
	}
	b, _ := json.Marshal(Scenario{})
	if !strings.Contains(string(b), `"timescale":1`) {
		t.Errorf("real time is written as 1: %s", b)
	}
}
