package kerneltrace

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// checkTrace asserts what every successful read guarantees.
func checkTrace(t *testing.T, tr *Trace) {
	t.Helper()
	for i, e := range tr.Events {
		if e.Dur < 0 {
			t.Fatalf("event %d has negative duration %v", i, e.Dur)
		}
		if i > 0 && e.Start < tr.Events[i-1].Start {
			t.Fatalf("events not sorted at %d", i)
		}
	}
}

// checkErr asserts that a read error is a *ParseError naming the input.
func checkErr(t *testing.T, err error, name string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != name {
		t.Fatalf("error %v (%T) is not a ParseError for %s", err, err, name)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("Start (ns),Duration (ns),CorrId,Name\n1,900,7,attention_kernel\n"))
	f.Add([]byte("NOTICE: x\n\nStart (us),Duration (us),Device,Strm,Name\n1.5,2,GPU (1),7,\"a, b\"\n3,4,GPU 2,8,[CUDA memset]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := ReadCSV(context.Background(), bytes.NewReader(in), "f.csv")
		if err != nil {
			checkErr(t, err, "f.csv")
			return
		}
		checkTrace(t, tr)
	})
}

func FuzzKineto(f *testing.F) {
	f.Add([]byte(`{"baseTimeNanoseconds":1700000000000000000,"traceEvents":[{"ph":"X","cat":"kernel","name":"k","ts":1.5,"dur":2.25,"args":{"device":0,"stream":7}}]}`))
	f.Add([]byte(`[{"ph":"X","cat":"Kernel","name":"k","ts":"1","dur":1e-3,"pid":1,"tid":"stream 7"},{"ph":"M"}]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := ReadKineto(context.Background(), bytes.NewReader(in), "f.json")
		if err != nil {
			checkErr(t, err, "f.json")
			return
		}
		checkTrace(t, tr)
	})
}
