// Package clocksync estimates how far a shard's wall clock is from a
// coordinator's, so that the wall-clock times of a run spread over many
// client machines can be put on one clock when the shards are merged
// (package merge).
//
// The exchange is NTP's (RFC 5905, section 8) over HTTP: the shard notes
// t0 on its wall clock and sends GET /clock; the coordinator (Handler)
// notes t1 when the request arrives and t2 just before it answers, and
// returns both; the shard notes t3 when the answer arrives. Then
//
//	offset = ((t1 − t0) + (t2 − t3)) / 2   the coordinator's clock minus the shard's
//	delay  = (t3 − t0) − (t2 − t1)         the round trip less the coordinator's hold time
//
// and the true offset lies within ±delay/2 of the estimate whatever the
// asymmetry of the two directions. Estimate makes several exchanges on
// one kept-alive connection and keeps the sample with the smallest delay
// (the first, which pays for the connection, is rarely it). t3 − t0 is
// taken on the shard's monotonic clock, so a wall-clock step during the
// exchange cannot make the delay negative.
//
// The HTTP Date header would do the same with one-second resolution; this
// exchange resolves what the network's round trip allows (tens of
// microseconds on a cluster network, well under the millisecond the merge
// reports). Hand-written because the exchange is twenty lines and an NTP
// client library would need UDP port 123 to a server the cluster may not
// have; the coordinator is the hypobench binary itself
// (`hypobench coordinator`).
package clocksync
