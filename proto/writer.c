/* SPDX-License-Identifier: MIT */
/*
 * proto/writer: the streaming Perfetto trace writer (see writer.h).
 *
 * Two paths:
 *  - kernel events (pw_ftrace_*) are hand-encoded with pbenc.h straight into
 *    a per-CPU FtraceEventBundle buffer allocated once at creation.  The
 *    buffer keeps PW_HEADROOM free bytes in front of the bundle body so that,
 *    when the bundle is closed, the TracePacket framing is written in front of
 *    it and the whole packet is copied out in one memcpy.
 *  - one-off packets (clock snapshot, system info, process tree) are built
 *    with the protobuf-c generated structs and packed into the output buffer.
 *
 * Every packet lands whole in the output buffer (PW_OUT_SIZE), together with
 * a mark recording where it ends and how many events it holds.  The buffer is
 * written when full or on sync.  If write() fails, the marks tell the last
 * packet boundary that reached the file: the file is cut back to it, the
 * error becomes sticky and the events that did not make it are counted as
 * dropped.
 */
#include "config.h"
#include "compiler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include "proto/internal.h"
#include "proto/pbenc.h"
#include "proto/writer.h"
#include "pftrace.pb-c.h"

#define PW_OUT_SIZE (1u << 20)
#define PW_MAX_MARKS 4096
/* room for "0x0A len" + TracePacket fields + "bundle tag, len" before a bundle body */
#define PW_HEADROOM 32
/* room after the bundle body for lost_events */
#define PW_TAIL 8
/* strings inside events are cut at this length (PATH_MAX, trace_marker max) */
#define PW_STR_MAX 4096
/* an event with a larger upper bound (only generic ones can be) is dropped */
#define PW_EVENT_MAX (64 * 1024)
#define PW_SYSARGS_MAX 16
/* a ProcessTree packet holds at most this many entries / cmdline bytes */
#define PW_TREE_ENTRIES 2000
#define PW_TREE_BYTES (512 * 1024)

/* TracePacket / FtraceEventBundle / FtraceEvent field numbers used by the hand encoder */
enum {
	TP_FTRACE_EVENTS = 1,
	TP_SEQ_ID = 10,
	TP_SEQUENCE_FLAGS = 13,
	TP_FIRST_PACKET_ON_SEQUENCE = 87,
	FB_CPU = 1,
	FB_EVENT = 2,
	FB_LOST_EVENTS = 3,
	FE_TIMESTAMP = 1,
	FE_PID = 2,
	FE_PRINT = 3,
	FE_SCHED_SWITCH = 4,
	FE_SCHED_WAKEUP = 17,
	FE_SCHED_WAKING = 20,
	FE_SOFTIRQ_ENTRY = 24,
	FE_SOFTIRQ_EXIT = 25,
	FE_SOFTIRQ_RAISE = 26,
	FE_IRQ_HANDLER_ENTRY = 36,
	FE_IRQ_HANDLER_EXIT = 37,
	FE_SCHED_WAKEUP_NEW = 114,
	FE_TASK_NEWTASK = 235,
	FE_TASK_RENAME = 236,
	FE_SCHED_PROCESS_EXEC = 237,
	FE_SCHED_PROCESS_EXIT = 238,
	FE_SCHED_PROCESS_FORK = 239,
	FE_SCHED_PROCESS_FREE = 240,
	FE_SCHED_PROCESS_WAIT = 242,
	FE_GENERIC = 327,
	FE_SYS_ENTER = 329,
	FE_SYS_EXIT = 330,
	FE_SCHED_MIGRATE_TASK = 491,
	GEN_EVENT_NAME = 1,
	GEN_FIELD = 2,
	GF_NAME = 1,
	GF_STR = 3,
	GF_INT = 4,
	GF_UINT = 5,
};

#define SEQ_INCREMENTAL_STATE_CLEARED 1

/* upper bound of the event framing: event tag+len, timestamp, pid, payload tag+len */
#define PW_EV_FIXED (PB_TAG_MAX + PB_LEN_MAX + 2 * PB_FIELD_MAX + PB_TAG_MAX + PB_LEN_MAX)
/* upper bound of a string field of @n bytes */
#define PW_STR_FIELD(n) (PB_TAG_MAX + PB_LEN_MAX + (n))

struct pw_mark {
	uint32_t end;	 /* offset in the output buffer just past the packet */
	uint32_t events; /* kernel events the packet holds */
};

struct pw_bundle {
	uint8_t *buf;	/* PW_HEADROOM + PW_BUNDLE_MAX + PW_TAIL bytes */
	size_t len;	/* bundle body bytes after the headroom, cpu field included */
	size_t hdr_len; /* length of the cpu field that starts every body */
	uint32_t nevents;
	bool lost;
};

/*
 * --ring-buffer: the packets after the prologue go to segments, unlinked
 * files next to the output, a new one each time the current one passes
 * seg_cap (at a point the caller chooses, pw_writer__ring_rotate).  Each
 * segment starts a generation of every sequence's interned state and keeps,
 * in memory, its "carry": what a trace starting with it needs from before
 * (track descriptors, the slices open on them, the caller's process tree).
 * Old segments are dropped to keep the trace within the budget; at the end
 * the output gets the first kept segment's carry and the kept segments.
 */
struct pw_seg {
	int fd;
	uint64_t bytes, events, packets;
	uint8_t *carry; /* complete packets */
	size_t carry_len, carry_cap;
};

struct pw_ring {
	char *dir;
	uint64_t budget;     /* the whole trace's bytes at the end */
	uint64_t seg_cap;    /* a segment is full past this */
	uint64_t prologue;   /* trace bytes in the output before the ring began */
	struct pw_seg *segs; /* oldest first; the last one is being written */
	unsigned nsegs, cap;
	bool due;     /* the current segment is full */
	bool capture; /* packets go to the current segment's carry */
	bool finished;
	uint32_t carry_seq; /* the sequence of the carried slice BEGINs */
	struct pw_ring_stats st;
};

struct pw_writer {
	int fd;
	int err; /* sticky 0 / -errno */
	uint32_t max_cpus;
	bool seq_started; /* a packet on PW_SEQ_KERNEL has been produced */
	off_t base_off;	  /* file offset of the trace start (0 normally) */

	uint64_t committed;  /* trace bytes in the file, ending at a packet boundary */
	uint64_t limit;	     /* pw_writer__set_limit: committed stays within; 0 = none */
	uint32_t bundle_max; /* a cpu's bundle becomes a packet past this (<= PW_BUNDLE_MAX) */
	uint64_t packets;    /* packets in the file */
	uint64_t events;     /* kernel events in the file */
	uint64_t dropped;    /* kernel events given up */

	uint8_t *out;
	size_t out_len;
	struct pw_mark *marks;
	size_t nmarks;

	struct pw_bundle *bundles;

	/* sample streams (samples.c), freed on close; they take ids from PW_SEQ_KERNEL + 1 */
	struct pw_stream **streams;
	size_t nstreams;
	uint32_t last_seq;	  /* the highest sequence id handed out */
	struct pw_tracks *tracks; /* tracks.c, NULL until used */

	size_t out_cap;	      /* the buffer is written when it would pass this */
	struct pw_ring *ring; /* --ring-buffer, NULL otherwise */
};

static void seg_drop_oldest(struct pw_writer *w);

/* The @n bytes of @buf to @fd from *@done on; *@done says how many made it. 0 or -errno. */
static int write_all(int fd, const uint8_t *buf, size_t n, size_t *done)
{
	while (*done < n) {
		ssize_t r = write(fd, buf + *done, n - *done);

		if (r > 0) {
			*done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -EIO;
	}
	return 0;
}

static int carry_add(struct pw_seg *g, const uint8_t *buf, size_t n)
{
	if (g->carry_len + n > g->carry_cap) {
		size_t cap = g->carry_cap ? g->carry_cap : 4096;
		uint8_t *p;

		while (cap < g->carry_len + n)
			cap *= 2;
		p = realloc(g->carry, cap);
		if (!p)
			return -ENOMEM;
		g->carry = p;
		g->carry_cap = cap;
	}
	memcpy(g->carry + g->carry_len, buf, n);
	g->carry_len += n;
	return 0;
}

/* --- output ---------------------------------------------------------------- */

/*
 * Writes @n bytes made of the complete packets described by @marks.  On a
 * write error the file is cut back to the last packet that reached it whole.
 */
static int write_packets(struct pw_writer *w, const uint8_t *buf, size_t n,
			 const struct pw_mark *marks, size_t nmarks)
{
	struct pw_seg *g = NULL;
	size_t done = 0, k, lim = n;
	uint64_t end, at = w->committed;
	off_t base = w->base_off;
	int err, fd = w->fd;

	if (w->ring && w->ring->capture) {
		err = carry_add(&w->ring->segs[w->ring->nsegs - 1], buf, n);
		if (err)
			w->err = err;
		return err;
	}
	if (w->ring) {
		g = &w->ring->segs[w->ring->nsegs - 1];
		fd = g->fd;
		base = 0;
		at = g->bytes;
	} else if (w->limit && w->committed + n > w->limit) {
		/* only the packets that fit whole, then a sticky -EFBIG */
		uint64_t room = w->limit > w->committed ? w->limit - w->committed : 0;

		for (lim = 0, k = 0; k < nmarks && marks[k].end <= room; k++)
			lim = marks[k].end;
	}
again:
	err = write_all(fd, buf, lim, &done);
	if (err) {
		if (g && (err == -ENOSPC || err == -EDQUOT) && w->ring->nsegs > 2 &&
		    ftruncate(fd, (off_t)at) == 0 && lseek(fd, (off_t)at, SEEK_SET) == (off_t)at) {
			/* a full disk: the oldest segment makes room, the batch is written again */
			seg_drop_oldest(w);
			w->ring->st.segments_no_space++;
			g = &w->ring->segs[w->ring->nsegs - 1];
			done = 0;
			goto again;
		}
		goto fail;
	}
	if (lim < n) {
		err = -EFBIG;
		goto fail;
	}
	w->committed += n;
	for (k = 0; k < nmarks; k++)
		w->events += marks[k].events;
	w->packets += nmarks;
	if (g) {
		g->bytes += n;
		for (k = 0; k < nmarks; k++)
			g->events += marks[k].events;
		g->packets += nmarks;
		if (g->bytes >= w->ring->seg_cap)
			w->ring->due = true;
	}
	return 0;

fail:
	end = 0;
	for (k = 0; k < nmarks && marks[k].end <= done; k++) {
		end = marks[k].end;
		w->events += marks[k].events;
		w->packets++;
		if (g) {
			g->events += marks[k].events;
			g->packets++;
		}
	}
	for (; k < nmarks; k++)
		w->dropped += marks[k].events;
	w->committed += end;
	if (g)
		g->bytes += end;
	if (end != done && ftruncate(fd, base + (off_t)(at + end)) < 0) {
		/* not a regular file, or the cut failed too: nothing better to do */
	}
	w->err = err;
	return err;
}

int pw_writer__sync(struct pw_writer *w)
{
	int ret;

	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!w->out_len)
		return 0;
	ret = write_packets(w, w->out, w->out_len, w->marks, w->nmarks);
	w->out_len = 0;
	w->nmarks = 0;
	return ret;
}

/*
 * Space for one packet of @n bytes at the end of the output buffer, or NULL
 * when the packet is larger than the whole buffer (the caller writes it
 * itself) or on a write error (w->err set).
 */
static uint8_t *out_reserve(struct pw_writer *w, size_t n)
{
	if (w->out_len + n > w->out_cap || w->nmarks == PW_MAX_MARKS) {
		if (pw_writer__sync(w) < 0)
			return NULL;
	}
	if (n > PW_OUT_SIZE)
		return NULL;
	return w->out + w->out_len;
}

static void out_commit(struct pw_writer *w, size_t n, uint32_t events)
{
	w->out_len += n;
	w->marks[w->nmarks].end = (uint32_t)w->out_len;
	w->marks[w->nmarks].events = events;
	w->nmarks++;
}

/* Appends a complete framed packet. */
static int out_packet(struct pw_writer *w, const uint8_t *pkt, size_t n, uint32_t events)
{
	struct pw_mark m = {.end = 0, .events = events};
	uint8_t *p;

	if (w->err) {
		w->dropped += events;
		return w->err;
	}
	p = out_reserve(w, n);
	if (p) {
		memcpy(p, pkt, n);
		out_commit(w, n, events);
		return 0;
	}
	if (w->err) {
		w->dropped += events;
		return w->err;
	}
	/* larger than the buffer (which is now empty): straight to the file */
	m.end = (uint32_t)n;
	return write_packets(w, pkt, n, &m, 1);
}

int pw_writer__append(struct pw_writer *w, const void *pkt, size_t n)
{
	if (!w || !pkt || !n)
		return -EINVAL;
	return out_packet(w, pkt, n, 0);
}

int pw_writer__add_stream(struct pw_writer *w, struct pw_stream *s)
{
	struct pw_stream **v;

	if (!w || !s)
		return -EINVAL;
	v = realloc(w->streams, (w->nstreams + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[w->nstreams++] = s;
	w->streams = v;
	return (int)pw_writer__new_seq(w);
}

uint32_t pw_writer__new_seq(struct pw_writer *w)
{
	if (w->last_seq < PW_SEQ_KERNEL)
		w->last_seq = PW_SEQ_KERNEL;
	return ++w->last_seq;
}

struct pw_tracks **pw_writer__tracks(struct pw_writer *w)
{
	return &w->tracks;
}

/* --- protobuf-c packets ---------------------------------------------------- */

static void pkt_seq(struct pw_writer *w, Perfetto__Protos__TracePacket *pk)
{
	pk->has_trusted_packet_sequence_id = 1;
	pk->trusted_packet_sequence_id = PW_SEQ_KERNEL;
	if (!w->seq_started) {
		pk->has_first_packet_on_sequence = 1;
		pk->first_packet_on_sequence = 1;
		pk->has_sequence_flags = 1;
		pk->sequence_flags = SEQ_INCREMENTAL_STATE_CLEARED;
		w->seq_started = true;
	}
}

static int emit_packet(struct pw_writer *w, const Perfetto__Protos__TracePacket *pk)
{
	size_t sz = protobuf_c_message_get_packed_size(&pk->base);
	size_t hdr = 1 + pb_varint_size(sz);
	uint8_t *p, *tmp;
	int ret;

	if (w->err)
		return w->err;
	p = out_reserve(w, hdr + sz);
	if (p) {
		p = pb_varint(pb_tag(p, 1, PB_WT_LEN), sz);
		protobuf_c_message_pack(&pk->base, p);
		out_commit(w, hdr + sz, 0);
		return 0;
	}
	if (w->err)
		return w->err;
	tmp = malloc(hdr + sz);
	if (!tmp)
		return -ENOMEM;
	p = pb_varint(pb_tag(tmp, 1, PB_WT_LEN), sz);
	protobuf_c_message_pack(&pk->base, p);
	ret = out_packet(w, tmp, hdr + sz, 0);
	free(tmp);
	return ret;
}

int pw_clock_snapshot(struct pw_writer *w, const struct pw_clock *clocks, size_t n)
{
	Perfetto__Protos__TracePacket pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__ClockSnapshot cs = PERFETTO__PROTOS__CLOCK_SNAPSHOT__INIT;
	Perfetto__Protos__ClockSnapshot__Clock *cl, **clp;
	size_t i;
	int ret;

	if (!w || !clocks || !n)
		return -EINVAL;
	if (w->err)
		return w->err;
	cl = calloc(n, sizeof(*cl));
	clp = calloc(n, sizeof(*clp));
	if (!cl || !clp) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		perfetto__protos__clock_snapshot__clock__init(&cl[i]);
		cl[i].has_clock_id = 1;
		cl[i].clock_id = clocks[i].clock_id;
		cl[i].has_timestamp = 1;
		cl[i].timestamp = clocks[i].ts;
		clp[i] = &cl[i];
		if (clocks[i].clock_id == PW_CLOCK_BOOTTIME) {
			pk.has_timestamp = 1;
			pk.timestamp = clocks[i].ts;
		}
	}
	cs.n_clocks = n;
	cs.clocks = clp;
	cs.has_primary_trace_clock = 1;
	cs.primary_trace_clock = PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_BOOTTIME;
	pkt_seq(w, &pk);
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT;
	pk.clock_snapshot = &cs;
	ret = emit_packet(w, &pk);
out:
	free(clp);
	free(cl);
	return ret;
}

int pw_system_info(struct pw_writer *w, const struct pw_system_info *si)
{
	Perfetto__Protos__TracePacket pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__SystemInfo sys = PERFETTO__PROTOS__SYSTEM_INFO__INIT;
	Perfetto__Protos__Utsname uts = PERFETTO__PROTOS__UTSNAME__INIT;

	if (!w || !si)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* protobuf-c only reads these strings while packing */
	uts.sysname = (char *)si->sysname;
	uts.version = (char *)si->version;
	uts.release = (char *)si->release;
	uts.machine = (char *)si->machine;
	sys.utsname = &uts;
	if (si->hz) {
		sys.has_hz = 1;
		sys.hz = si->hz;
	}
	sys.tracing_service_version = (char *)si->service_version;
	if (si->page_size) {
		sys.has_page_size = 1;
		sys.page_size = si->page_size;
	}
	if (si->num_cpus) {
		sys.has_num_cpus = 1;
		sys.num_cpus = si->num_cpus;
	}
	if (si->ram_bytes) {
		sys.has_system_ram_bytes = 1;
		sys.system_ram_bytes = si->ram_bytes;
	}
	/* nodename: SystemInfo.machine_name is only for multi-machine traces; not written */
	pkt_seq(w, &pk);
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_SYSTEM_INFO;
	pk.system_info = &sys;
	return emit_packet(w, &pk);
}

/* Bytes of @cmdline without trailing NULs (empty trailing argv entries). */
static size_t cmdline_trim(const char *cmdline, size_t len)
{
	if (!cmdline)
		return 0;
	while (len && cmdline[len - 1] == '\0')
		len--;
	return len;
}

static size_t cmdline_count(const char *s, size_t len)
{
	size_t i, n = 1;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		n += s[i] == '\0';
	return n;
}

/* One ProcessTree packet with procs[0..np) and threads[0..nt). */
static int process_tree_packet(struct pw_writer *w, uint64_t ts, const struct pw_process *procs,
			       size_t np, const struct pw_thread *threads, size_t nt)
{
	Perfetto__Protos__TracePacket pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__ProcessTree tree = PERFETTO__PROTOS__PROCESS_TREE__INIT;
	Perfetto__Protos__ProcessTree__Process *pr = NULL, **prp = NULL;
	Perfetto__Protos__ProcessTree__Thread *th = NULL, **thp = NULL;
	char *arena = NULL, **argv = NULL;
	size_t i, arena_len = 0, nargv = 0, a = 0, ai = 0;
	int ret = -ENOMEM;

	for (i = 0; i < np; i++) {
		size_t len = cmdline_trim(procs[i].cmdline, procs[i].cmdline_len);

		arena_len += len + 1;
		nargv += cmdline_count(procs[i].cmdline, len);
	}
	if (np) {
		pr = calloc(np, sizeof(*pr));
		prp = calloc(np, sizeof(*prp));
		arena = malloc(arena_len);
		argv = calloc(nargv ? nargv : 1, sizeof(*argv));
		if (!pr || !prp || !arena || !argv)
			goto out;
	}
	if (nt) {
		th = calloc(nt, sizeof(*th));
		thp = calloc(nt, sizeof(*thp));
		if (!th || !thp)
			goto out;
	}

	for (i = 0; i < np; i++) {
		const struct pw_process *p = &procs[i];
		size_t len = cmdline_trim(p->cmdline, p->cmdline_len), j;

		perfetto__protos__process_tree__process__init(&pr[i]);
		pr[i].has_pid = 1;
		pr[i].pid = p->pid;
		pr[i].has_ppid = 1;
		pr[i].ppid = p->ppid;
		pr[i].has_uid = 1;
		pr[i].uid = p->uid;
		if (p->is_kthread) {
			pr[i].has_is_kthread = 1;
			pr[i].is_kthread = 1;
		}
		if (p->cmdline_is_comm) {
			pr[i].has_cmdline_is_comm = 1;
			pr[i].cmdline_is_comm = 1;
		}
		if (len) {
			/* a NUL-terminated copy; each NUL then ends one argv entry */
			memcpy(arena + a, p->cmdline, len);
			arena[a + len] = '\0';
			pr[i].cmdline = &argv[ai];
			argv[ai++] = arena + a;
			for (j = 0; j < len; j++) {
				if (arena[a + j] == '\0')
					argv[ai++] = arena + a + j + 1;
			}
			pr[i].n_cmdline = (size_t)(&argv[ai] - pr[i].cmdline);
			a += len + 1;
		}
		prp[i] = &pr[i];
	}
	for (i = 0; i < nt; i++) {
		perfetto__protos__process_tree__thread__init(&th[i]);
		th[i].has_tid = 1;
		th[i].tid = threads[i].tid;
		th[i].has_tgid = 1;
		th[i].tgid = threads[i].tgid;
		th[i].name = (char *)threads[i].name;
		thp[i] = &th[i];
	}
	tree.n_processes = np;
	tree.processes = prp;
	tree.n_threads = nt;
	tree.threads = thp;

	pk.has_timestamp = 1;
	pk.timestamp = ts;
	pkt_seq(w, &pk);
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE;
	pk.process_tree = &tree;
	ret = emit_packet(w, &pk);
out:
	free(thp);
	free(th);
	free(argv);
	free(arena);
	free(prp);
	free(pr);
	return ret;
}

int pw_process_tree(struct pw_writer *w, uint64_t ts, const struct pw_process *procs, size_t nprocs,
		    const struct pw_thread *threads, size_t nthreads)
{
	size_t pi = 0, ti = 0;
	int ret;

	if (!w || (nprocs && !procs) || (nthreads && !threads))
		return -EINVAL;
	if (w->err)
		return w->err;
	/* split so that no packet gets huge: processes first, then threads */
	while (pi < nprocs || ti < nthreads) {
		size_t np = 0, nt = 0, bytes = 0;

		while (pi + np < nprocs && np < PW_TREE_ENTRIES && bytes < PW_TREE_BYTES)
			bytes += 32 + procs[pi + np++].cmdline_len;
		while (ti + nt < nthreads && np + nt < PW_TREE_ENTRIES && bytes < PW_TREE_BYTES)
			bytes += 32 + (threads[ti + nt++].name ? 16 : 0);
		ret = process_tree_packet(w, ts, procs + pi, np, threads + ti, nt);
		if (ret < 0)
			return ret;
		pi += np;
		ti += nt;
	}
	return 0;
}

/* --- per-CPU bundles ------------------------------------------------------- */

static void bundle_reset(struct pw_bundle *b)
{
	b->len = b->hdr_len;
	b->nevents = 0;
	b->lost = false;
}

int pw_writer__flush_cpu(struct pw_writer *w, uint32_t cpu)
{
	uint8_t frame[PW_HEADROOM], *body, *end, *start, *q;
	struct pw_bundle *b;
	size_t blen, flen, plen;
	uint32_t nev;

	if (!w || cpu >= w->max_cpus)
		return -EINVAL;
	b = &w->bundles[cpu];
	if (!b->nevents && !b->lost)
		return w->err;
	nev = b->nevents;
	if (w->err) {
		w->dropped += nev;
		bundle_reset(b);
		return w->err;
	}
	body = b->buf + PW_HEADROOM;
	end = body + b->len;
	if (b->lost)
		end = pb_bool(end, FB_LOST_EVENTS, 1);
	blen = (size_t)(end - body);

	/* the TracePacket fields before ftrace_events, then its tag and length */
	q = frame + 8;
	q = pb_u64(q, TP_SEQ_ID, PW_SEQ_KERNEL);
	if (!w->seq_started) {
		q = pb_u64(q, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
		q = pb_bool(q, TP_FIRST_PACKET_ON_SEQUENCE, 1);
		w->seq_started = true;
	}
	q = pb_varint(pb_tag(q, TP_FTRACE_EVENTS, PB_WT_LEN), blen);
	plen = (size_t)(q - (frame + 8)) + blen;
	/* "0x0A len" framing in front of it */
	flen = (size_t)(pb_varint(pb_tag(frame, 1, PB_WT_LEN), plen) - frame);
	start = body - flen - (size_t)(q - (frame + 8));
	memcpy(start, frame, flen);
	memcpy(start + flen, frame + 8, (size_t)(q - (frame + 8)));

	bundle_reset(b);
	return out_packet(w, start, (size_t)(end - start), nev);
}

int pw_writer__flush(struct pw_writer *w)
{
	uint32_t cpu;
	int ret;

	if (!w)
		return -EINVAL;
	for (cpu = 0; cpu < w->max_cpus; cpu++) {
		ret = pw_writer__flush_cpu(w, cpu);
		if (ret < 0 && !w->err)
			return ret;
	}
	return pw_writer__sync(w);
}

void pw_ftrace_lost(struct pw_writer *w, uint32_t cpu)
{
	if (w && cpu < w->max_cpus)
		w->bundles[cpu].lost = true;
}

/* An event being encoded: the bundle and the two open length slots. */
struct pw_enc {
	struct pw_bundle *b;
	uint8_t *ev_len;
	uint8_t *pl_len;
};

/*
 * Opens an FtraceEvent with payload @field on the event's cpu, after making
 * room for @bound bytes.  Returns where the payload body goes, or NULL when
 * the event is dropped (counted).
 */
static __always_inline uint8_t *ev_open(struct pw_writer *w, const struct pw_ev *e, size_t bound,
					uint32_t field, struct pw_enc *x)
{
	struct pw_bundle *b;
	uint8_t *p;

	if (unlikely(w->err || e->cpu >= w->max_cpus || bound > PW_EVENT_MAX))
		goto drop;
	b = &w->bundles[e->cpu];
	if (unlikely(b->len + bound > w->bundle_max)) {
		if (pw_writer__flush_cpu(w, e->cpu) < 0)
			goto drop;
	}
	x->b = b;
	p = b->buf + PW_HEADROOM + b->len;
	x->ev_len = pb_msg_begin(p, FB_EVENT);
	p = pb_msg_body(x->ev_len);
	p = pb_u64(p, FE_TIMESTAMP, e->ts);
	p = pb_u64(p, FE_PID, e->pid);
	x->pl_len = pb_msg_begin(p, field);
	return pb_msg_body(x->pl_len);
drop:
	w->dropped++;
	return NULL;
}

static __always_inline void ev_close(struct pw_enc *x, uint8_t *p)
{
	p = pb_msg_end(x->pl_len, p);
	p = pb_msg_end(x->ev_len, p);
	x->b->len = (size_t)(p - (x->b->buf + PW_HEADROOM));
	x->b->nevents++;
}

static inline size_t str_len(const char *s)
{
	return s ? strnlen(s, PW_STR_MAX) : 0;
}

/* A string field; NULL strings are left out. */
static inline uint8_t *put_str(uint8_t *p, uint32_t field, const char *s, size_t n)
{
	return s ? pb_bytes(p, field, s, n) : p;
}

void pw_ftrace_sched_switch(struct pw_writer *w, const struct pw_ev *e, const char *prev_comm,
			    int32_t prev_pid, int32_t prev_prio, int64_t prev_state,
			    const char *next_comm, int32_t next_pid, int32_t next_prio)
{
	size_t pl = str_len(prev_comm), nl = str_len(next_comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(pl) + PW_STR_FIELD(nl) + 5 * PB_FIELD_MAX,
		    FE_SCHED_SWITCH, &x);
	if (!p)
		return;
	p = put_str(p, 1, prev_comm, pl);
	p = pb_i64(p, 2, prev_pid);
	p = pb_i64(p, 3, prev_prio);
	p = pb_i64(p, 4, prev_state);
	p = put_str(p, 5, next_comm, nl);
	p = pb_i64(p, 6, next_pid);
	p = pb_i64(p, 7, next_prio);
	ev_close(&x, p);
}

/* sched_wakeup, sched_waking, sched_wakeup_new: comm=1 pid=2 prio=3 (success=4) target_cpu=5 */
static void wake_event(struct pw_writer *w, const struct pw_ev *e, uint32_t field, const char *comm,
		       int32_t pid, int32_t prio, int32_t target_cpu)
{
	size_t cl = str_len(comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(cl) + 3 * PB_FIELD_MAX, field, &x);
	if (!p)
		return;
	p = put_str(p, 1, comm, cl);
	p = pb_i64(p, 2, pid);
	p = pb_i64(p, 3, prio);
	p = pb_i64(p, 5, target_cpu);
	ev_close(&x, p);
}

void pw_ftrace_sched_waking(struct pw_writer *w, const struct pw_ev *e, const char *comm,
			    int32_t pid, int32_t prio, int32_t target_cpu)
{
	wake_event(w, e, FE_SCHED_WAKING, comm, pid, prio, target_cpu);
}

void pw_ftrace_sched_wakeup(struct pw_writer *w, const struct pw_ev *e, const char *comm,
			    int32_t pid, int32_t prio, int32_t target_cpu)
{
	wake_event(w, e, FE_SCHED_WAKEUP, comm, pid, prio, target_cpu);
}

void pw_ftrace_sched_wakeup_new(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				int32_t pid, int32_t prio, int32_t target_cpu)
{
	wake_event(w, e, FE_SCHED_WAKEUP_NEW, comm, pid, prio, target_cpu);
}

void pw_ftrace_sched_process_fork(struct pw_writer *w, const struct pw_ev *e,
				  const char *parent_comm, int32_t parent_pid,
				  const char *child_comm, int32_t child_pid)
{
	size_t pl = str_len(parent_comm), cl = str_len(child_comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(pl) + PW_STR_FIELD(cl) + 2 * PB_FIELD_MAX,
		    FE_SCHED_PROCESS_FORK, &x);
	if (!p)
		return;
	p = put_str(p, 1, parent_comm, pl);
	p = pb_i64(p, 2, parent_pid);
	p = put_str(p, 3, child_comm, cl);
	p = pb_i64(p, 4, child_pid);
	ev_close(&x, p);
}

void pw_ftrace_sched_process_exec(struct pw_writer *w, const struct pw_ev *e, const char *filename,
				  int32_t pid, int32_t old_pid)
{
	size_t fl = str_len(filename);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(fl) + 2 * PB_FIELD_MAX, FE_SCHED_PROCESS_EXEC,
		    &x);
	if (!p)
		return;
	p = put_str(p, 1, filename, fl);
	p = pb_i64(p, 2, pid);
	p = pb_i64(p, 3, old_pid);
	ev_close(&x, p);
}

void pw_ftrace_sched_process_exit(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t tgid, int32_t prio)
{
	size_t cl = str_len(comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(cl) + 3 * PB_FIELD_MAX, FE_SCHED_PROCESS_EXIT,
		    &x);
	if (!p)
		return;
	p = put_str(p, 1, comm, cl);
	p = pb_i64(p, 2, pid);
	p = pb_i64(p, 3, tgid);
	p = pb_i64(p, 4, prio);
	ev_close(&x, p);
}

/* sched_process_free, sched_process_wait: comm=1 pid=2 prio=3 */
static void comm_pid_prio(struct pw_writer *w, const struct pw_ev *e, uint32_t field,
			  const char *comm, int32_t pid, int32_t prio)
{
	size_t cl = str_len(comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(cl) + 2 * PB_FIELD_MAX, field, &x);
	if (!p)
		return;
	p = put_str(p, 1, comm, cl);
	p = pb_i64(p, 2, pid);
	p = pb_i64(p, 3, prio);
	ev_close(&x, p);
}

void pw_ftrace_sched_process_free(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t prio)
{
	comm_pid_prio(w, e, FE_SCHED_PROCESS_FREE, comm, pid, prio);
}

void pw_ftrace_sched_process_wait(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t prio)
{
	comm_pid_prio(w, e, FE_SCHED_PROCESS_WAIT, comm, pid, prio);
}

void pw_ftrace_sched_migrate_task(struct pw_writer *w, const struct pw_ev *e, const char *comm,
				  int32_t pid, int32_t prio, int32_t orig_cpu, int32_t dest_cpu)
{
	size_t cl = str_len(comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(cl) + 4 * PB_FIELD_MAX, FE_SCHED_MIGRATE_TASK,
		    &x);
	if (!p)
		return;
	p = put_str(p, 1, comm, cl);
	p = pb_i64(p, 2, pid);
	p = pb_i64(p, 3, prio);
	p = pb_i64(p, 4, orig_cpu);
	p = pb_i64(p, 5, dest_cpu);
	ev_close(&x, p);
}

void pw_ftrace_task_newtask(struct pw_writer *w, const struct pw_ev *e, int32_t pid,
			    const char *comm, uint64_t clone_flags, int32_t oom_score_adj)
{
	size_t cl = str_len(comm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(cl) + 3 * PB_FIELD_MAX, FE_TASK_NEWTASK, &x);
	if (!p)
		return;
	p = pb_i64(p, 1, pid);
	p = put_str(p, 2, comm, cl);
	p = pb_u64(p, 3, clone_flags);
	p = pb_i64(p, 4, oom_score_adj);
	ev_close(&x, p);
}

void pw_ftrace_task_rename(struct pw_writer *w, const struct pw_ev *e, int32_t pid,
			   const char *oldcomm, const char *newcomm, int32_t oom_score_adj)
{
	size_t ol = str_len(oldcomm), nl = str_len(newcomm);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(ol) + PW_STR_FIELD(nl) + 2 * PB_FIELD_MAX,
		    FE_TASK_RENAME, &x);
	if (!p)
		return;
	p = pb_i64(p, 1, pid);
	p = put_str(p, 2, oldcomm, ol);
	p = put_str(p, 3, newcomm, nl);
	p = pb_i64(p, 4, oom_score_adj);
	ev_close(&x, p);
}

void pw_ftrace_irq_handler_entry(struct pw_writer *w, const struct pw_ev *e, int32_t irq,
				 const char *name)
{
	size_t nl = str_len(name);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PW_STR_FIELD(nl) + PB_FIELD_MAX, FE_IRQ_HANDLER_ENTRY, &x);
	if (!p)
		return;
	p = pb_i64(p, 1, irq);
	p = put_str(p, 2, name, nl);
	ev_close(&x, p);
}

void pw_ftrace_irq_handler_exit(struct pw_writer *w, const struct pw_ev *e, int32_t irq,
				int32_t ret)
{
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + 2 * PB_FIELD_MAX, FE_IRQ_HANDLER_EXIT, &x);
	if (!p)
		return;
	p = pb_i64(p, 1, irq);
	p = pb_i64(p, 2, ret);
	ev_close(&x, p);
}

static void softirq_event(struct pw_writer *w, const struct pw_ev *e, uint32_t field, uint32_t vec)
{
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PB_FIELD_MAX, field, &x);
	if (!p)
		return;
	p = pb_u64(p, 1, vec);
	ev_close(&x, p);
}

void pw_ftrace_softirq_entry(struct pw_writer *w, const struct pw_ev *e, uint32_t vec)
{
	softirq_event(w, e, FE_SOFTIRQ_ENTRY, vec);
}

void pw_ftrace_softirq_exit(struct pw_writer *w, const struct pw_ev *e, uint32_t vec)
{
	softirq_event(w, e, FE_SOFTIRQ_EXIT, vec);
}

void pw_ftrace_softirq_raise(struct pw_writer *w, const struct pw_ev *e, uint32_t vec)
{
	softirq_event(w, e, FE_SOFTIRQ_RAISE, vec);
}

void pw_ftrace_sys_enter(struct pw_writer *w, const struct pw_ev *e, int64_t id,
			 const uint64_t *args, unsigned nargs)
{
	struct pw_enc x;
	uint8_t *p;
	unsigned i;

	if (!args)
		nargs = 0;
	if (nargs > PW_SYSARGS_MAX)
		nargs = PW_SYSARGS_MAX;
	p = ev_open(w, e, PW_EV_FIXED + (1 + PW_SYSARGS_MAX) * PB_FIELD_MAX, FE_SYS_ENTER, &x);
	if (!p)
		return;
	p = pb_i64(p, 1, id);
	/* repeated uint64 args = 2, unpacked (proto2 default, as upstream) */
	for (i = 0; i < nargs; i++)
		p = pb_u64(p, 2, args[i]);
	ev_close(&x, p);
}

void pw_ftrace_sys_exit(struct pw_writer *w, const struct pw_ev *e, int64_t id, int64_t ret)
{
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + 2 * PB_FIELD_MAX, FE_SYS_EXIT, &x);
	if (!p)
		return;
	p = pb_i64(p, 1, id);
	p = pb_i64(p, 2, ret);
	ev_close(&x, p);
}

void pw_ftrace_print(struct pw_writer *w, const struct pw_ev *e, uint64_t ip, const char *buf)
{
	size_t bl = str_len(buf);
	struct pw_enc x;
	uint8_t *p;

	p = ev_open(w, e, PW_EV_FIXED + PB_FIELD_MAX + PW_STR_FIELD(bl), FE_PRINT, &x);
	if (!p)
		return;
	p = pb_u64(p, 1, ip);
	p = put_str(p, 2, buf, bl);
	ev_close(&x, p);
}

void pw_ftrace_generic(struct pw_writer *w, const struct pw_ev *e, const char *event_name,
		       const struct pw_field *fields, unsigned nfields)
{
	size_t bound = PW_EV_FIXED + PW_STR_FIELD(str_len(event_name));
	uint8_t *p, *flen;
	struct pw_enc x;
	unsigned i;

	if (!fields)
		nfields = 0;
	for (i = 0; i < nfields && bound <= PW_EVENT_MAX; i++) {
		const struct pw_field *f = &fields[i];

		bound += PB_TAG_MAX + PB_LEN_MAX + PW_STR_FIELD(str_len(f->name));
		bound += f->kind == PW_FIELD_STR ? PW_STR_FIELD(str_len(f->s)) : PB_FIELD_MAX;
	}
	p = ev_open(w, e, bound, FE_GENERIC, &x);
	if (!p)
		return;
	p = put_str(p, GEN_EVENT_NAME, event_name, str_len(event_name));
	for (i = 0; i < nfields; i++) {
		const struct pw_field *f = &fields[i];

		flen = pb_msg_begin(p, GEN_FIELD);
		p = pb_msg_body(flen);
		p = put_str(p, GF_NAME, f->name, str_len(f->name));
		switch (f->kind) {
		case PW_FIELD_STR:
			/* a NULL string still says which kind the field is */
			p = pb_bytes(p, GF_STR, f->s ? f->s : "", str_len(f->s));
			break;
		case PW_FIELD_INT:
			p = pb_i64(p, GF_INT, f->i);
			break;
		case PW_FIELD_UINT:
		default:
			p = pb_u64(p, GF_UINT, f->u);
			break;
		}
		p = pb_msg_end(flen, p);
	}
	ev_close(&x, p);
}

/* --- --ring-buffer ------------------------------------------------------------------ */

/* An unlinked file in @dir for a segment: O_TMPFILE where the kernel and the
 * filesystem have it, a named file removed at once otherwise. */
static int seg_open(const char *dir)
{
	size_t n = strlen(dir) + sizeof("/.pftrace-ring-XXXXXX");
	char *path;
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
		return -errno;
#endif
	path = malloc(n);
	if (!path)
		return -ENOMEM;
	snprintf(path, n, "%s/.pftrace-ring-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		fd = -errno;
	} else {
		unlink(path);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	free(path);
	return fd;
}

static void seg_free(struct pw_seg *g)
{
	if (g->fd >= 0)
		close(g->fd);
	free(g->carry);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
}

/* Forget the oldest segment: its packets leave the trace. */
static void seg_drop_oldest(struct pw_writer *w)
{
	struct pw_ring *r = w->ring;
	struct pw_seg *g = &r->segs[0];

	r->st.segments_dropped++;
	r->st.bytes_dropped += g->bytes;
	r->st.events_dropped += g->events;
	w->committed -= g->bytes;
	w->events -= g->events;
	w->packets -= g->packets;
	seg_free(g);
	memmove(&r->segs[0], &r->segs[1], (r->nsegs - 1) * sizeof(*r->segs));
	r->nsegs--;
}

/* The trace's bytes if it ended now: prologue, the first segment's carry, the segments. */
static uint64_t ring_size(const struct pw_ring *r, uint64_t extra)
{
	uint64_t n = r->prologue + extra;
	unsigned i;

	if (r->nsegs)
		n += r->segs[0].carry_len;
	for (i = 0; i < r->nsegs; i++)
		n += r->segs[i].bytes;
	return n;
}

static int seg_push(struct pw_ring *r)
{
	int fd;

	if (r->nsegs == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 16;
		struct pw_seg *v = realloc(r->segs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->segs = v;
		r->cap = cap;
	}
	fd = seg_open(r->dir);
	if (fd < 0)
		return fd;
	memset(&r->segs[r->nsegs], 0, sizeof(*r->segs));
	r->segs[r->nsegs++].fd = fd;
	r->st.segments++;
	return 0;
}

int pw_writer__ring_begin(struct pw_writer *w, uint64_t bytes, const char *dir)
{
	struct pw_ring *r;
	int ret;

	if (!w || w->ring || bytes < PW_RING_MIN || !dir)
		return -EINVAL;
	ret = pw_writer__sync(w);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->dir = strdup(dir);
	if (!r->dir) {
		free(r);
		return -ENOMEM;
	}
	r->budget = bytes;
	r->seg_cap = bytes / PW_RING_SEGS;
	r->prologue = w->committed;
	r->carry_seq = pw_writer__new_seq(w);
	ret = seg_push(r);
	if (ret) {
		free(r->dir);
		free(r->segs);
		free(r);
		return ret;
	}
	w->ring = r;
	w->limit = 0;
	/* the buffer goes out in pieces small next to a segment */
	if (w->out_cap > r->seg_cap / 8)
		w->out_cap = (size_t)(r->seg_cap / 8);
	if (w->bundle_max > r->seg_cap / 16)
		w->bundle_max = (uint32_t)(r->seg_cap / 16);
	if (w->tracks)
		pw_tracks__ring(w->tracks, r->carry_seq);
	return 0;
}

bool pw_writer__ring_due(const struct pw_writer *w)
{
	return w && w->ring && w->ring->due && !w->err;
}

uint32_t pw_writer__ring_seq(const struct pw_writer *w)
{
	return w->ring ? w->ring->carry_seq : 0;
}

int pw_writer__ring_rotate(struct pw_writer *w, void (*snapshot)(void *arg), void *arg)
{
	struct pw_ring *r;
	size_t i;
	int ret;

	if (!w || !w->ring)
		return -EINVAL;
	r = w->ring;
	if (w->err || r->finished)
		return w->err;
	ret = pw_writer__sync(w); /* what was made so far ends the old segment */
	if (ret)
		return ret;
	r->due = false;
	ret = seg_push(r);
	if (ret) {
		w->err = ret;
		return ret;
	}
	/* the disk may hold up to a segment more than the budget until the end */
	while (r->nsegs > 2 && ring_size(r, 0) > r->budget)
		seg_drop_oldest(w);
	/* every sequence starts over in the new segment */
	for (i = 0; i < w->nstreams; i++)
		pw_stream__restart(w->streams[i]);
	if (w->tracks)
		pw_tracks__restart(w->tracks);
	/* what a trace that starts here needs from before */
	r->capture = true;
	if (w->tracks)
		pw_tracks__carry(w->tracks);
	if (snapshot)
		snapshot(arg);
	ret = pw_writer__sync(w);
	r->capture = false;
	r->st.carry_bytes += r->segs[r->nsegs - 1].carry_len;
	return ret;
}

/* Segment @g into the output at its position, from *@off on; 0 or -errno. */
static int seg_copy(struct pw_writer *w, struct pw_seg *g, uint64_t *off)
{
#ifdef HAVE_COPY_FILE_RANGE
	while (*off < g->bytes) {
		loff_t in = (loff_t)*off;
		ssize_t n = copy_file_range(g->fd, &in, w->fd, NULL, (size_t)(g->bytes - *off), 0);

		if (n > 0) {
			*off += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
		    errno == EOPNOTSUPP)
			break; /* not here: read and write */
		return -errno;
	}
#endif
	while (*off < g->bytes) {
		size_t want =
			g->bytes - *off > PW_OUT_SIZE ? PW_OUT_SIZE : (size_t)(g->bytes - *off);
		ssize_t n = pread(g->fd, w->out, want, (off_t)*off);
		size_t done = 0;
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		ret = write_all(w->fd, w->out, (size_t)n, &done);
		if (ret)
			return ret;
		*off += (uint64_t)n;
	}
	return 0;
}

/*
 * Whether the disk can take the segments one by one: each is copied, then
 * freed, so it needs room for the largest (the first with its carry) and
 * some slack.  Unknown counts as yes (a failed copy of the first one then
 * drops it and starts over).
 */
static bool ring_room(const struct pw_writer *w, const struct pw_ring *r)
{
	struct statvfs sv;
	uint64_t need = 0;
	unsigned i;

	if (fstatvfs(w->fd, &sv) < 0)
		return true;
	for (i = 0; i < r->nsegs; i++) {
		uint64_t n = r->segs[i].bytes + (i ? 0 : r->segs[i].carry_len);

		if (n > need)
			need = n;
	}
	return (uint64_t)sv.f_bavail * sv.f_frsize >= need + (256u << 10);
}

/* The kept segments into the output, after the prologue. */
static int ring_finish(struct pw_writer *w)
{
	struct pw_ring *r = w->ring;
	uint64_t at, committed;
	int ret, err0 = w->err;
	unsigned i;

	if (r->finished)
		return w->err;
	r->finished = true;
	while (r->nsegs > 1 && ring_size(r, 0) > r->budget)
		seg_drop_oldest(w);
	/* a disk the recording filled: the oldest make room for the copies */
	while (r->nsegs > 1 && !ring_room(w, r)) {
		seg_drop_oldest(w);
		r->st.segments_no_space++;
	}
again:
	committed = w->committed;
	at = r->prologue;
	ret = 0;
	/* the output is at the prologue's end: nothing else went to it */
	if (lseek(w->fd, w->base_off + (off_t)at, SEEK_SET) < 0)
		ret = -errno;
	for (i = 0; !ret && i < r->nsegs; i++) {
		struct pw_seg *g = &r->segs[i];
		uint64_t off = 0;

		/* only the first kept segment's carry: the others' is in the segments before */
		/* (the first segment ever has none: the prologue is before it) */
		if (i == 0 && g->carry_len) {
			size_t done = 0;

			ret = write_all(w->fd, g->carry, g->carry_len, &done);
			if (ret)
				break;
			at += g->carry_len;
			w->committed += g->carry_len;
		}
		ret = seg_copy(w, g, &off);
		if (ret)
			break;
		at += g->bytes;
		/* its space back at once: the disk holds SIZE and one segment more, not twice */
		close(g->fd);
		g->fd = -1;
	}
	if (ret && i == 0 && r->nsegs > 1 && (ret == -ENOSPC || ret == -EDQUOT)) {
		/* no room for even the first: drop it, which frees its space, and start over */
		if (ftruncate(w->fd, w->base_off + (off_t)r->prologue) < 0) {
			/* the next attempt fails the same way and says so */
		}
		w->err = err0;
		w->committed = committed;
		seg_drop_oldest(w);
		r->st.segments_no_space++;
		goto again;
	}
	if (ret) {
		/* cut back to the last whole segment; the rest counts as dropped */
		uint64_t lost_ev = 0;
		unsigned k;

		for (k = i; k < r->nsegs; k++) {
			lost_ev += r->segs[k].events;
			w->events -= r->segs[k].events;
			w->packets -= r->segs[k].packets;
		}
		w->dropped += lost_ev;
		if (ftruncate(w->fd, w->base_off + (off_t)at) < 0) {
			/* nothing better to do */
		}
		w->committed = at;
		if (!w->err)
			w->err = ret;
	}
	r->st.kept_segments = ret ? i : r->nsegs;
	r->st.kept_bytes = w->committed;
	for (i = 0; i < r->nsegs; i++)
		seg_free(&r->segs[i]);
	r->nsegs = 0;
	return w->err;
}

void pw_writer__ring_stats(const struct pw_writer *w, struct pw_ring_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (w && w->ring) {
		*st = w->ring->st;
		st->budget = w->ring->budget;
		if (!w->ring->finished) {
			st->kept_segments = w->ring->nsegs;
			st->kept_bytes = w->committed;
		}
		st->kept_events = w->events;
	}
}

int pw_writer__finish(struct pw_writer *w)
{
	if (!w)
		return -EINVAL;
	pw_writer__flush(w);
	if (w->ring)
		ring_finish(w);
	return w->err;
}

static void ring_free(struct pw_ring *r)
{
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < r->nsegs; i++)
		seg_free(&r->segs[i]);
	free(r->segs);
	free(r->dir);
	free(r);
}

/* --- lifetime ---------------------------------------------------------------- */

struct pw_writer *pw_writer__new(int fd, int max_cpus)
{
	struct pw_writer *w;
	off_t off;
	int i;

	if (fd < 0 || max_cpus <= 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	w->max_cpus = (uint32_t)max_cpus;
	w->bundle_max = PW_BUNDLE_MAX;
	w->out_cap = PW_OUT_SIZE;
	off = lseek(fd, 0, SEEK_CUR);
	w->base_off = off > 0 ? off : 0;
	w->out = malloc(PW_OUT_SIZE);
	w->marks = calloc(PW_MAX_MARKS, sizeof(*w->marks));
	w->bundles = calloc((size_t)max_cpus, sizeof(*w->bundles));
	if (!w->out || !w->marks || !w->bundles)
		goto fail;
	for (i = 0; i < max_cpus; i++) {
		struct pw_bundle *b = &w->bundles[i];

		/* untouched pages of idle cpus' buffers are never faulted in */
		b->buf = malloc(PW_HEADROOM + PW_BUNDLE_MAX + PW_TAIL);
		if (!b->buf)
			goto fail;
		b->hdr_len = (size_t)(pb_u64(b->buf + PW_HEADROOM, FB_CPU, (uint32_t)i) -
				      (b->buf + PW_HEADROOM));
		bundle_reset(b);
	}
	return w;

fail:
	if (w->bundles) {
		for (i = 0; i < max_cpus; i++)
			free(w->bundles[i].buf);
	}
	free(w->bundles);
	free(w->marks);
	free(w->out);
	free(w);
	errno = ENOMEM;
	return NULL;
}

int pw_writer__close(struct pw_writer *w)
{
	uint32_t i;
	int err;

	if (!w)
		return 0;
	pw_writer__finish(w);
	err = w->err;
	if (close(w->fd) < 0 && !err && errno != EINTR)
		err = -errno;
	for (i = 0; i < w->nstreams; i++)
		pw_stream__free(w->streams[i]);
	pw_tracks__free(w->tracks);
	ring_free(w->ring);
	free(w->streams);
	for (i = 0; i < w->max_cpus; i++)
		free(w->bundles[i].buf);
	free(w->bundles);
	free(w->marks);
	free(w->out);
	free(w);
	return err;
}

void pw_writer__set_limit(struct pw_writer *w, uint64_t bytes)
{
	if (!w)
		return;
	w->limit = bytes;
	/* packets small next to the limit, so the file fills up to it */
	w->bundle_max = PW_BUNDLE_MAX;
	if (bytes && bytes / 16 < PW_BUNDLE_MAX)
		w->bundle_max = bytes / 16 > 4096 ? (uint32_t)(bytes / 16) : 4096;
}

int pw_writer__error(const struct pw_writer *w)
{
	return w ? w->err : -EINVAL;
}

uint64_t pw_writer__bytes(const struct pw_writer *w)
{
	return w ? w->committed : 0;
}

uint64_t pw_writer__dropped_events(const struct pw_writer *w)
{
	return w ? w->dropped : 0;
}

uint64_t pw_writer__packets(const struct pw_writer *w)
{
	return w ? w->packets : 0;
}

uint64_t pw_writer__events(const struct pw_writer *w)
{
	return w ? w->events : 0;
}
