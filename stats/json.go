package stats

import (
	"encoding/json"
	"math"
)

// jsonCI is CI's JSON form: bounds that are NaN or infinite encode as null.
type jsonCI struct {
	Lo    *float64 `json:"lo"`
	Hi    *float64 `json:"hi"`
	Level float64  `json:"level"`
}

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON encodes the interval as {"lo","hi","level"}, with null for a
// bound that is not a finite number (JSON has no NaN).
func (c CI) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonCI{Lo: finite(c.Lo), Hi: finite(c.Hi), Level: c.Level})
}

// UnmarshalJSON decodes what MarshalJSON writes; a null bound becomes NaN.
func (c *CI) UnmarshalJSON(b []byte) error {
	var j jsonCI
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = CI{Lo: orNaN(j.Lo), Hi: orNaN(j.Hi), Level: j.Level}
	return nil
}
