package kerneltrace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // pure-Go driver "sqlite": no cgo needed
)

// Nsight Systems SQLite schema used here (nsys export --type sqlite):
//
//	CUPTI_ACTIVITY_KIND_KERNEL(start, end, deviceId, streamId, shortName, demangledName, ...)
//	    start, end: ns on the session clock, 0 = TARGET_INFO_SESSION_START_TIME
//	    shortName, demangledName: ids into StringIds
//	StringIds(id, value)
//	TARGET_INFO_SESSION_START_TIME(utcEpochNs, utcTime, localTime, systemClockNs)
//	NVTX_EVENTS(start, end, eventType, text, textId, globalTid, ...)
//	    text is set for registered-once strings, textId → StringIds otherwise;
//	    marks have a NULL end.
const (
	tableKernel  = "CUPTI_ACTIVITY_KIND_KERNEL"
	tableStrings = "StringIds"
	tableSession = "TARGET_INFO_SESSION_START_TIME"
	tableNVTX    = "NVTX_EVENTS"
)

// ReadSQLite reads the kernels, the NVTX ranges and the absolute time base
// of an Nsight Systems SQLite export. The file is opened read-only.
//
// Kernel start and end are nanoseconds from the session start; the session
// start's wall clock is TARGET_INFO_SESSION_START_TIME.utcEpochNs, so the
// unix time of a kernel is utcEpochNs + start. Without that table the trace
// is returned without a base and a warning. The kernel's name is its
// demangled name (the name nsys stats and kineto print), falling back to the
// short name.
func ReadSQLite(ctx context.Context, path string) (*Trace, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("reading nsys sqlite: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening nsys sqlite %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	tr := &Trace{Path: path, Format: FormatSQLite}
	cols, err := tableColumns(ctx, db, tableKernel)
	if err != nil {
		return nil, &ParseError{File: path, Table: tableKernel, Msg: "reading schema", Err: err}
	}
	if cols == nil {
		return nil, &ParseError{File: path, Table: tableKernel, Msg: "no kernel table: was the profile captured with --trace=cuda and did any kernel run?"}
	}
	for _, c := range []string{"start", "end"} {
		if !cols[c] {
			return nil, &ParseError{File: path, Table: tableKernel, Msg: fmt.Sprintf("column %q missing", c)}
		}
	}
	strs, err := tableColumns(ctx, db, tableStrings)
	if err != nil {
		return nil, &ParseError{File: path, Table: tableStrings, Msg: "reading schema", Err: err}
	}
	if err := readKernels(ctx, db, tr, cols, strs != nil); err != nil {
		return nil, err
	}
	if err := readSessionStart(ctx, db, tr); err != nil {
		return nil, err
	}
	if err := readNVTX(ctx, db, tr, strs != nil); err != nil {
		return nil, err
	}
	if tr.HasBase {
		for i := range tr.Events {
			tr.Events[i].Start += tr.BaseUnixNs
		}
		for i := range tr.Ranges {
			tr.Ranges[i].Start += tr.BaseUnixNs
			tr.Ranges[i].End += tr.BaseUnixNs
		}
	}
	sortEvents(tr.Events)
	sortRanges(tr.Ranges)
	return tr, nil
}

// tableColumns returns the column names of table, or nil when it does not
// exist.
func tableColumns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols map[string]bool
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if cols == nil {
			cols = map[string]bool{}
		}
		cols[n] = true
	}
	return cols, rows.Err()
}

func readKernels(ctx context.Context, db *sql.DB, tr *Trace, cols map[string]bool, haveStrings bool) error {
	sel := []string{"k.rowid", "k.start", `k."end"`}
	for _, c := range []string{"deviceId", "streamId"} {
		if cols[c] {
			sel = append(sel, "k."+c)
		} else {
			sel = append(sel, "0")
		}
	}
	// The name is the first of: demangled name, short name (both through
	// StringIds), then either column as text (an unresolved id, or text in
	// a hand-made export).
	var joins, resolved, raw []string
	for i, c := range []string{"demangledName", "shortName"} {
		if !cols[c] {
			continue
		}
		if haveStrings {
			alias := fmt.Sprintf("s%d", i)
			joins = append(joins, fmt.Sprintf("LEFT JOIN %s %s ON %s.id = k.%s", tableStrings, alias, alias, c))
			resolved = append(resolved, alias+".value")
		}
		raw = append(raw, fmt.Sprintf("CAST(k.%s AS TEXT)", c))
	}
	sel = append(sel, "COALESCE("+strings.Join(append(append(resolved, raw...), "''"), ", ")+")")
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + tableKernel + " k " + strings.Join(joins, " ")
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return &ParseError{File: tr.Path, Table: tableKernel, Msg: "querying kernels", Err: err}
	}
	defer rows.Close()
	intern := interner{}
	for n := 0; rows.Next(); n++ {
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var (
			rowid          int64
			start, end     sql.NullInt64
			device, stream sql.NullInt64
			name           string
		)
		if err := rows.Scan(&rowid, &start, &end, &device, &stream, &name); err != nil {
			return &ParseError{File: tr.Path, Table: tableKernel, Row: rowid, Msg: "scanning kernel row", Err: err}
		}
		switch {
		case !start.Valid || !end.Valid:
			return &ParseError{File: tr.Path, Table: tableKernel, Row: rowid, Msg: "kernel without start or end"}
		case end.Int64 < start.Int64:
			return &ParseError{File: tr.Path, Table: tableKernel, Row: rowid, Msg: fmt.Sprintf("kernel ends (%d) before it starts (%d)", end.Int64, start.Int64)}
		}
		tr.Events = append(tr.Events, Event{
			Start:  start.Int64,
			Dur:    time.Duration(end.Int64 - start.Int64),
			Name:   intern.get(name),
			Device: int(device.Int64),
			Stream: int(stream.Int64),
		})
	}
	if err := rows.Err(); err != nil {
		return &ParseError{File: tr.Path, Table: tableKernel, Msg: "reading kernels", Err: err}
	}
	return nil
}

func readSessionStart(ctx context.Context, db *sql.DB, tr *Trace) error {
	cols, err := tableColumns(ctx, db, tableSession)
	if err != nil {
		return &ParseError{File: tr.Path, Table: tableSession, Msg: "reading schema", Err: err}
	}
	if !cols["utcEpochNs"] {
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("%s: no %s.utcEpochNs: times stay relative to the session start", tr.Path, tableSession))
		return nil
	}
	var base sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT utcEpochNs FROM "+tableSession+" LIMIT 1").Scan(&base)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !base.Valid) {
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("%s: %s is empty: times stay relative to the session start", tr.Path, tableSession))
		return nil
	}
	if err != nil {
		return &ParseError{File: tr.Path, Table: tableSession, Msg: "reading utcEpochNs", Err: err}
	}
	tr.HasBase, tr.BaseUnixNs, tr.BaseSource = true, base.Int64, tableSession+".utcEpochNs"
	return nil
}

func readNVTX(ctx context.Context, db *sql.DB, tr *Trace, haveStrings bool) error {
	cols, err := tableColumns(ctx, db, tableNVTX)
	if err != nil {
		return &ParseError{File: tr.Path, Table: tableNVTX, Msg: "reading schema", Err: err}
	}
	if cols == nil || !cols["start"] || !cols["end"] {
		return nil
	}
	var names []string
	join := ""
	if cols["text"] {
		names = append(names, "e.text")
	}
	if cols["textId"] && haveStrings {
		join = " LEFT JOIN " + tableStrings + " s ON s.id = e.textId"
		names = append(names, "s.value")
	}
	if len(names) == 0 {
		return nil
	}
	q := `SELECT e.rowid, e.start, e."end", COALESCE(` + strings.Join(names, ", ") + `, '') FROM ` +
		tableNVTX + " e" + join + ` WHERE e."end" IS NOT NULL AND e."end" >= e.start`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return &ParseError{File: tr.Path, Table: tableNVTX, Msg: "querying ranges", Err: err}
	}
	defer rows.Close()
	for rows.Next() {
		var r Range
		var rowid int64
		if err := rows.Scan(&rowid, &r.Start, &r.End, &r.Name); err != nil {
			return &ParseError{File: tr.Path, Table: tableNVTX, Row: rowid, Msg: "scanning range", Err: err}
		}
		if r.Name != "" {
			tr.Ranges = append(tr.Ranges, r)
		}
	}
	if err := rows.Err(); err != nil {
		return &ParseError{File: tr.Path, Table: tableNVTX, Msg: "reading ranges", Err: err}
	}
	return nil
}
