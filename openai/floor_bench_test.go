//go:build linux

package openai_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hypobench/hypobench/openai"
)

// BenchmarkSteppedFloor is BenchmarkStepped's floor: the same stamping
// server, streams and rounds, read by the least a Go program can do, with
// no HTTP client, no SSE parser and no JSON. It writes each request by hand
// over a kept-alive TCP connection and reads the chunked body until its
// last chunk, counting "data:" lines as events. Two ways of waiting:
//
//   - netpoll: a goroutine per connection reading a 4 KiB buffer, as every
//     net.Conn reader does; each wake-up costs the runtime's poller, a
//     goroutine switch and a read that finds the socket empty before the
//     goroutine parks;
//   - epoll: one goroutine on its own epoll set (level-triggered), one read
//     per ready connection per wake-up, no goroutine switches;
//   - nethttp: a goroutine per request through net/http (a Transport tuned
//     as the client's), reading the response body into a 4 KiB buffer:
//     the transport's own cost per event, without SSE parsing or JSON.
//
// cpu-µs/event here, beside BenchmarkStepped's on the same machine, says
// how much of the client's cost per event is the kernel and the runtime's
// netpoll, which no parser change removes. p50-µs and p99-µs are send→read
// as in BenchmarkStepped (a stamp split between two reads is skipped).
//
//	go test ./openai -run '^$' -bench SteppedFloor -benchtime 5x
func BenchmarkSteppedFloor(b *testing.B) {
	for _, mode := range []string{"netpoll", "epoll", "nethttp", "readresponse"} {
		for _, streams := range []int{128, 1024} {
			b.Run(fmt.Sprintf("%s/streams=%d", mode, streams), func(b *testing.B) {
				floorBench(b, mode, streams)
			})
		}
	}
}

func floorBench(b *testing.B, mode string, streams int) {
	base := startStampServer(b)
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	request := func(tokens int) []byte {
		body, err := (&openai.Request{Prompt: "stepped", MaxTokens: tokens}).Body()
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	head := func(body []byte) []byte {
		return append(fmt.Appendf(nil, "POST /v1/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: %d\r\n\r\n", u.Host, len(body)), body...)
	}
	var st floorStats
	var round func(body []byte)
	switch mode {
	case "netpoll", "epoll", "readresponse":
		conns := make([]*net.TCPConn, streams)
		for i := range conns {
			c, err := net.Dial("tcp", u.Host)
			if err != nil {
				b.Fatal(err)
			}
			conns[i] = c.(*net.TCPConn)
			defer c.Close()
		}
		if mode == "netpoll" {
			round = func(body []byte) { netpollRound(b, &st, conns, head(body)) }
			break
		}
		if mode == "readresponse" {
			brs := make([]*bufio.Reader, len(conns))
			for i, c := range conns {
				brs[i] = bufio.NewReader(c)
			}
			round = func(body []byte) { readResponseRound(b, &st, conns, brs, head(body)) }
			break
		}
		fds := make([]int, len(conns))
		for i, c := range conns {
			f, err := c.File() // a duplicate descriptor, outside Go's poller
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			fds[i] = int(f.Fd())
		}
		round = func(body []byte) { epollRound(b, &st, fds, head(body)) }
	case "nethttp":
		tr := &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConns: streams, MaxIdleConnsPerHost: streams, MaxConnsPerHost: streams}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		round = func(body []byte) { netHTTPRound(b, &st, hc, base+"/v1/completions", streams, body) }
	}
	round(request(1)) // warm up: connections, the server's handlers and buffers
	st = floorStats{lags: make([]time.Duration, 0, b.N*streams*steppedEvents)}
	runtime.GC()
	body := request(steppedEvents)
	b.ResetTimer()
	usr0, sys0 := processCPU()
	reads0 := readSyscalls()
	for range b.N {
		round(body)
	}
	usr, sys := processCPU()
	usr, sys = usr-usr0, sys-sys0
	reads := readSyscalls() - reads0
	b.StopTimer()
	if st.events == 0 {
		b.Fatal("no events")
	}
	b.ReportMetric(float64(usr+sys)/1e3/float64(st.events), "cpu-µs/event")
	b.ReportMetric(float64(sys)/1e3/float64(st.events), "sys-µs/event")
	if reads0 >= 0 {
		b.ReportMetric(float64(reads)/float64(st.events), "reads/event")
	}
	if len(st.lags) > 0 {
		slices.Sort(st.lags)
		q := func(p float64) float64 {
			i := int(p*float64(len(st.lags))+0.5) - 1
			return float64(st.lags[max(0, min(i, len(st.lags)-1))]) / 1e3
		}
		b.ReportMetric(q(0.50), "p50-µs")
		b.ReportMetric(q(0.99), "p99-µs")
	}
}

// floorStats gathers the events and send→read lags of a floor round.
type floorStats struct {
	mu     sync.Mutex
	events int
	lags   []time.Duration
}

func (st *floorStats) add(s *streamState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.events += s.events
	st.lags = append(st.lags, s.lags...)
}

// lastChunk ends a chunked body (no trailers).
var lastChunk = []byte("\r\n0\r\n\r\n")

var (
	dataField = []byte("data:")
	sentField = []byte(`"hb_sent_ns":`)
)

// streamState follows one response's bytes: events counted, send→read lags
// of the stamps found whole in one read, and whether its last chunk has
// arrived. It keeps the tail of the previous read so that a marker split
// between reads is still found.
type streamState struct {
	tail   []byte
	events int
	lags   []time.Duration
	done   bool
}

func (s *streamState) feed(p []byte, at time.Time) {
	for rest := p; ; {
		i := bytes.Index(rest, sentField)
		if i < 0 {
			break
		}
		rest = rest[i+len(sentField):]
		n, j := int64(0), 0
		for ; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
			n = 10*n + int64(rest[j]-'0')
		}
		if j > 0 && j < len(rest) {
			s.lags = append(s.lags, time.Duration(at.UnixNano()-n))
		}
	}
	buf := append(s.tail, p...)
	s.events += bytes.Count(buf, dataField) - bytes.Count(s.tail, dataField)
	s.done = bytes.HasSuffix(buf, lastChunk)
	keep := min(len(buf), 8)
	s.tail = append(s.tail[:0], buf[len(buf)-keep:]...)
}

func netpollRound(b *testing.B, st *floorStats, conns []*net.TCPConn, req []byte) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			s := streamState{lags: make([]time.Duration, 0, steppedEvents)}
			buf := make([]byte, 4096)
			for !s.done {
				n, err := c.Read(buf)
				if err != nil {
					b.Error(err)
					return
				}
				s.feed(buf[:n], time.Now())
			}
			st.add(&s)
		}()
	}
	close(start)
	wg.Wait()
}

func readResponseRound(b *testing.B, st *floorStats, conns []*net.TCPConn, brs []*bufio.Reader, req []byte) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			resp, err := http.ReadResponse(brs[i], nil)
			if err != nil {
				b.Error(err)
				return
			}
			s := streamState{lags: make([]time.Duration, 0, steppedEvents)}
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				if n > 0 {
					s.feed(buf[:n], time.Now())
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
			st.add(&s)
		}()
	}
	close(start)
	wg.Wait()
}

func netHTTPRound(b *testing.B, st *floorStats, hc *http.Client, url string, streams int, body []byte) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			defer resp.Body.Close()
			s := streamState{lags: make([]time.Duration, 0, steppedEvents)}
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				if n > 0 {
					s.feed(buf[:n], time.Now())
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
			st.add(&s)
		}()
	}
	close(start)
	wg.Wait()
}

func epollRound(b *testing.B, st *floorStats, fds []int, req []byte) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(ep)
	states := make([]streamState, len(fds))
	index := map[int32]int{}
	for i, fd := range fds {
		index[int32(fd)] = i
		states[i].lags = make([]time.Duration, 0, steppedEvents)
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}); err != nil {
			b.Fatal(err)
		}
		if _, err := syscall.Write(fd, req); err != nil {
			b.Fatal(err)
		}
	}
	evs := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for open := len(fds); open > 0; {
		n, err := syscall.EpollWait(ep, evs, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs[:n] {
			r, err := syscall.Read(int(ev.Fd), buf)
			if err != nil || r == 0 {
				b.Fatalf("read: %d, %v", r, err)
			}
			s := &states[index[ev.Fd]]
			s.feed(buf[:r], time.Now())
			if s.done {
				st.add(s)
				open--
				syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, int(ev.Fd), nil)
			}
		}
	}
}

// BenchmarkLoopbackSyscalls measures what the kernel charges for the
// system calls a streamed event costs, on loopback TCP with no Go poller
// and no waiting (descriptors in blocking mode, data already there):
//
//   - eagain: one read(2) on an empty non-blocking socket, the read Go's
//     poller makes before every park;
//   - write: one 300-byte write(2) (an event's size), its reads batched;
//   - write+read: the write and one read(2) that returns its 300 bytes.
//
// write+read minus write is the CPU of the read that delivers an event;
// the server pays the write. cpu-µs/op is this process's user+system time
// per operation.
//
//	go test ./openai -run '^$' -bench LoopbackSyscalls
func BenchmarkLoopbackSyscalls(b *testing.B) {
	pair := func(b *testing.B) (w, r int) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		acc := make(chan net.Conn, 1)
		go func() {
			s, err := ln.Accept()
			if err != nil {
				b.Error(err)
			}
			acc <- s
		}()
		cl, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		sv := <-acc
		b.Cleanup(func() { cl.Close(); sv.Close() })
		fd := func(c net.Conn) int {
			f, err := c.(*net.TCPConn).File() // a duplicate, outside Go's poller
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			return int(f.Fd())
		}
		return fd(sv), fd(cl)
	}
	measure := func(b *testing.B, op func(i int)) {
		b.ResetTimer()
		usr0, sys0 := processCPU()
		for i := range b.N {
			op(i)
		}
		usr, sys := processCPU()
		b.ReportMetric(float64(usr-usr0+sys-sys0)/1e3/float64(b.N), "cpu-µs/op")
		b.ReportMetric(float64(sys-sys0)/1e3/float64(b.N), "sys-µs/op")
	}
	msg, buf := make([]byte, 300), make([]byte, 64<<10)
	b.Run("eagain", func(b *testing.B) {
		_, r := pair(b)
		if err := syscall.SetNonblock(r, true); err != nil {
			b.Fatal(err)
		}
		measure(b, func(int) {
			if _, err := syscall.Read(r, buf); err != syscall.EAGAIN {
				b.Fatalf("read on an empty socket: %v", err)
			}
		})
	})
	b.Run("write", func(b *testing.B) {
		w, r := pair(b)
		measure(b, func(i int) {
			if _, err := syscall.Write(w, msg); err != nil {
				b.Fatal(err)
			}
			if i%100 == 99 || i == b.N-1 {
				for got, want := 0, (i%100+1)*len(msg); got < want; {
					n, err := syscall.Read(r, buf)
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
		})
	})
	b.Run("write+read", func(b *testing.B) {
		w, r := pair(b)
		measure(b, func(int) {
			if _, err := syscall.Write(w, msg); err != nil {
				b.Fatal(err)
			}
			for got := 0; got < len(msg); {
				n, err := syscall.Read(r, buf)
				if err != nil {
					b.Fatal(err)
				}
				got += n
			}
		})
	})
}
