/* SPDX-License-Identifier: MIT */
/*
 * Canned perf records and canned tracefs format files through the whole
 * decode path: libtraceevent parses the formats (tests/data/tracefs*), the
 * session reads PERF_RECORD_SAMPLEs out of an in-memory ring, the sources
 * decode the payloads at the offsets the format gives, the writer encodes
 * them, and proto/reader reads the trace back.  Two format variants with
 * different field offsets must decode to the same events.  No root needed.
 */
#include "config.h"
#include "core/options.h"
#include "core/session.h"
#include "core/session_test.h"
#include "core/tracefs.h"
#include "core/util.h"
#include "perfmmap/perfmmap.h"
#include "perfmmap/testing.h"
#include "proto/reader.h"
#include "proto/writer.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096
#define DATA (64 * 1024)

struct ring {
	unsigned char *mem;
	size_t len;
};

static void ring_init(struct ring *r)
{
	struct perf_event_mmap_page *pc;

	r->mem = calloc(1, PAGE + DATA);
	r->len = 0;
	pc = (struct perf_event_mmap_page *)r->mem;
	pc->data_offset = PAGE;
	pc->data_size = DATA;
}

static void ring_put(struct ring *r, const void *rec, size_t len)
{
	memcpy(r->mem + PAGE + r->len, rec, len);
	r->len += len;
	((struct perf_event_mmap_page *)r->mem)->data_head = r->len;
}

/* A tracepoint sample: IDENTIFIER | TID | TIME | CPU | RAW, raw padded so the
 * record is a multiple of 8 bytes, as the kernel does. */
static void put_sample(struct ring *r, uint64_t id, uint32_t pid, uint32_t tid, uint64_t time,
		       uint32_t cpu, const void *raw, uint32_t raw_len)
{
	unsigned char buf[512];
	struct perf_event_header h;
	uint32_t size = raw_len, zero = 0;
	size_t off = sizeof(h);

	while ((4 + size) % 8)
		size++;
	h.type = PERF_RECORD_SAMPLE;
	h.misc = 0;
	h.size = (uint16_t)(sizeof(h) + 8 + 8 + 8 + 8 + 4 + size);
	memset(buf, 0, sizeof(buf));
	memcpy(buf + off, &id, 8);
	off += 8;
	memcpy(buf + off, &pid, 4);
	off += 4;
	memcpy(buf + off, &tid, 4);
	off += 4;
	memcpy(buf + off, &time, 8);
	off += 8;
	memcpy(buf + off, &cpu, 4);
	off += 4;
	memcpy(buf + off, &zero, 4);
	off += 4;
	memcpy(buf + off, &size, 4);
	off += 4;
	memcpy(buf + off, raw, raw_len);
	memcpy(buf, &h, sizeof(h));
	ring_put(r, buf, h.size);
}

static void put_lost(struct ring *r, uint64_t lost)
{
	struct {
		struct perf_event_header h;
		uint64_t id, lost;
		/* sample_id_all: TID, TIME, CPU, IDENTIFIER */
		uint32_t pid, tid;
		uint64_t time;
		uint32_t cpu, res;
		uint64_t ident;
	} rec;

	memset(&rec, 0, sizeof(rec));
	rec.h.type = PERF_RECORD_LOST;
	rec.h.size = sizeof(rec);
	rec.lost = lost;
	ring_put(r, &rec, sizeof(rec));
}

static void w16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void w32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void w64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Field offsets of one kernel's formats, as that kernel would lay out records. */
struct layout {
	const char *dir;
	int switch_id, waking_id;
	unsigned sw_len, sw_prev_comm, sw_prev_pid, sw_prev_prio, sw_prev_state, sw_next_comm,
		sw_next_pid, sw_next_prio;
	unsigned wk_len, wk_comm, wk_pid, wk_prio, wk_target;
};

static const struct layout new_layout = {
	"tests/data/tracefs", 372, 375, 64, 8, 24, 28, 32, 40, 56, 60, 36, 8, 24, 28, 32,
};
static const struct layout old_layout = {
	"tests/data/tracefs-old", 263, 264, 72, 12, 28, 32, 40, 48, 64, 68, 44, 12, 28, 32, 40,
};

struct collected {
	char lines[64][256];
	int n;
	int lost;
};

static void on_event(void *ctx, const struct prd_event *e)
{
	struct collected *c = ctx;

	if (c->n < 64)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%llu %u %u %s %s",
			 (unsigned long long)e->ts, e->cpu, e->pid, e->name, e->args);
}

static void on_lost(void *ctx, uint32_t cpu, uint64_t ts)
{
	struct collected *c = ctx;

	(void)cpu;
	(void)ts;
	c->lost++;
}

static int find(const struct collected *c, const char *want)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->lines[i], want))
			return 1;
	return 0;
}

static void dump_lines(const struct collected *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		tap_diag("got: %s", c->lines[i]);
}

static void run_layout(const char *srcdir, const struct layout *L, int full)
{
	char dir[4096], path[] = "/tmp/pftrace-test-decode-XXXXXX";
	struct record_opts o;
	struct ring r;
	struct pm_ring *pr;
	struct pw_writer *w;
	struct session *s;
	struct collected c;
	struct prd_callbacks cb = {.event = on_event, .lost = on_lost};
	unsigned char raw[128];
	int fd, ret;

	snprintf(dir, sizeof(dir), "%s/%s", srcdir, L->dir);
	tfs_set_dir(dir);
	memset(&o, 0, sizeof(o));
	o.buffer_size = 1 << 20;
	o.no_irq = !full;
	o.no_stacks = 1; /* tracepoint decoding only */
	o.syscalls = full;
	o.quiet = 1;

	fd = mkstemp(path);
	w = pw_writer__new(fd, 4);
	s = session__new(&o, w);
	tap_ok(s != NULL, "%s: session created", L->dir);
	if (!s)
		return;
	ret = session__add_sources(s);
	tap_is_int(ret, 0, "sources subscribe from the canned formats");

	ring_init(&r);
	/* sched_switch bash(100) -> swapper/1(0), prev_state S */
	memset(raw, 0, sizeof(raw));
	w16(raw, (uint16_t)L->switch_id);
	w32(raw + 4, 100);
	memcpy(raw + L->sw_prev_comm, "bash", 5);
	w32(raw + L->sw_prev_pid, 100);
	w32(raw + L->sw_prev_prio, 120);
	w64(raw + L->sw_prev_state, 1);
	memcpy(raw + L->sw_next_comm, "swapper/1", 10);
	w32(raw + L->sw_next_pid, 0);
	w32(raw + L->sw_next_prio, 120);
	put_sample(&r, (uint64_t)L->switch_id, 100, 100, 1000, 1, raw, L->sw_len);
	/* sched_waking of worker(200) by bash */
	memset(raw, 0, sizeof(raw));
	w16(raw, (uint16_t)L->waking_id);
	w32(raw + 4, 100);
	memcpy(raw + L->wk_comm, "worker", 7);
	w32(raw + L->wk_pid, 200);
	w32(raw + L->wk_prio, 110);
	w32(raw + L->wk_target, 0);
	put_sample(&r, (uint64_t)L->waking_id, 100, 100, 2000, 1, raw, L->wk_len);
	/* a record shorter than its format: dropped, not read past its end */
	put_sample(&r, (uint64_t)L->switch_id, 100, 100, 2500, 1, raw, 16);
	/* an unknown id: skipped */
	put_sample(&r, 99999, 1, 1, 2600, 1, raw, 16);
	if (full) {
		/* raw_syscalls:sys_enter getppid(), sys_exit = 41 */
		memset(raw, 0, sizeof(raw));
		w16(raw, 443);
		w32(raw + 4, 300);
		w64(raw + 8, 110);
		w64(raw + 16, 0xdead);
		w64(raw + 56, 6);
		put_sample(&r, 443, 300, 300, 3000, 1, raw, 64);
		memset(raw, 0, sizeof(raw));
		w16(raw, 442);
		w32(raw + 4, 300);
		w64(raw + 8, 110);
		w64(raw + 16, (uint64_t)-2);
		put_sample(&r, 442, 300, 300, 3100, 1, raw, 24);
		/* irq_handler_entry irq=24 name="virtio0" (__data_loc: len<<16 | off) */
		memset(raw, 0, sizeof(raw));
		w16(raw, 225);
		w32(raw + 8, 24);
		w32(raw + 12, (8u << 16) | 16);
		memcpy(raw + 16, "virtio0", 8);
		put_sample(&r, 225, 0, 0, 4000, 1, raw, 24);
		/* task_newtask pid=301 comm=worker clone_flags=0x3d0f00 */
		memset(raw, 0, sizeof(raw));
		w16(raw, 205);
		w32(raw + 4, 300);
		w32(raw + 8, 301);
		memcpy(raw + 12, "worker", 7);
		w64(raw + 32, 0x3d0f00);
		put_sample(&r, 205, 300, 300, 5000, 1, raw, 48);
	}
	put_lost(&r, 7);

	pr = pm_ring__new_from_buffer(r.mem, PAGE, DATA, 1);
	ret = pr ? session__attach_test_ring(s, pr) : -ENOMEM;
	tap_is_int(ret, 0, "canned ring attached as cpu 1");
	session__drain(s);
	tap_is_int(pm_ring__loss(pr)->lost_records, 7, "PERF_RECORD_LOST counted");
	session__free(s);
	tap_is_int(pw_writer__close(w), 0, "writer closed cleanly");

	memset(&c, 0, sizeof(c));
	ret = prd_read_file(path, &cb, &c, NULL);
	tap_is_int(ret, 0, "trace reads back");
	tap_ok(find(&c, "1000 1 100 sched_switch prev_comm=bash prev_pid=100 prev_prio=120 "
			"prev_state=0x1 next_comm=swapper/1 next_pid=0 next_prio=120"),
	       "%s: sched_switch decoded at the format's offsets", L->dir);
	tap_ok(find(&c, "2000 1 100 sched_waking comm=worker pid=200 prio=110 target_cpu=0"),
	       "%s: sched_waking decoded", L->dir);
	if (full) {
		tap_ok(find(&c, "3000 1 300 sys_enter id=110 args=0xdead,0x0,0x0,0x0,0x0,0x6"),
		       "sys_enter with its six arguments");
		tap_ok(find(&c, "3100 1 300 sys_exit id=110 ret=-2"),
		       "sys_exit with a negative ret");
		tap_ok(find(&c, "4000 1 0 irq_handler_entry irq=24 name=virtio0"),
		       "irq_handler_entry with a __data_loc name");
		tap_ok(find(&c, "5000 1 300 task_newtask pid=301 comm=worker clone_flags=0x3d0f00 "
				"oom_score_adj=0"),
		       "task_newtask");
	}
	tap_is_int(c.n, full ? 6 : 2, "no event from the short record or the unknown id");
	tap_is_int(c.lost, 1, "the bundle after the loss says lost_events");
	if (tap_failed)
		dump_lines(&c);
	unlink(path);
	free(r.mem);
}

int main(void)
{
	const char *srcdir = getenv("top_srcdir");

	if (!srcdir)
		srcdir = ".";
	pft_quiet = 1; /* the old layout lacks most events: no warnings */
	run_layout(srcdir, &new_layout, 1);
	run_layout(srcdir, &old_layout, 0);
	return tap_done();
}
