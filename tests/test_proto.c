/* SPDX-License-Identifier: MIT */
/*
 * tests/test_proto: the trace writer and reader.
 *
 * A trace with every pw_* call is written to a temp file, then
 *  (a) unpacked with the protobuf-c generated code, asserting exact field
 *      values (the hand encoder matches the schema; bundles re-pack to the
 *      same bytes, i.e. the encoding is canonical),
 *  (b) read with prd_read_file, asserting the formatted args and naming hints,
 * plus CompactSched expansion and unknown packets through prd_read_buffer, a
 * disk-full run (RLIMIT_FSIZE: write() fails with EFBIG), a truncated file,
 * and an encoding speed diagnostic.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto/reader.h"
#include "proto/writer.h"
#include "pftrace.pb-c.h"
#include "tests/tap.h"

#define NCPU 2
#define TS(c, k) (1000000ull + (uint64_t)(c)*100000 + (uint64_t)(k)*10)
#define PID(c) (100u + (c))
#define BOOT_TS 999000ull

typedef Perfetto__Protos__TracePacket Packet;
typedef Perfetto__Protos__FtraceEvent FtraceEvent;

static char tmpdir[256];

/* --- expected reader output ------------------------------------------------ */

#define MAX_LINES 256
static char *expected[MAX_LINES];
static int nexpected;

/* One reader event as text: header, hints, args. */
static char *event_line(uint64_t ts, uint32_t cpu, uint32_t pid, const char *name, int64_t sys,
			int32_t t0, const char *c0, int32_t t1, const char *c1, const char *args)
{
	return xasprintf("%" PRIu64 " cpu%u pid%u %s sys=%" PRId64 " hint=%d:%s,%d:%s | %s", ts,
			 cpu, pid, name, sys, t0, c0 ? c0 : "-", t1, c1 ? c1 : "-", args);
}

static void expect(uint32_t c, int k, const char *name, int64_t sys, int32_t t0, const char *c0,
		   int32_t t1, const char *c1, const char *args)
{
	if (nexpected < MAX_LINES)
		expected[nexpected++] =
			event_line(TS(c, k), c, PID(c), name, sys, t0, c0, t1, c1, args);
}

/* --- the trace ------------------------------------------------------------- */

static const uint64_t sys_args[3] = {3, 0x7ffd0000, 4096};
static char long_filename[301];
static char long_buf[5001];

static const char cmdline1[] = "/bin/foo\0-x\0arg two\0";

static void write_one_offs(struct pw_writer *w, int *ok)
{
	struct pw_clock clocks[3] = {
		{PW_CLOCK_BOOTTIME, BOOT_TS},
		{PW_CLOCK_MONOTONIC, 888000},
		{PW_CLOCK_REALTIME, 1700000000000000000ull},
	};
	struct pw_system_info si = {
		.sysname = "Linux",
		.release = "6.1.0-test",
		.version = "#1 SMP PREEMPT",
		.machine = "x86_64",
		.nodename = "host",
		.page_size = 4096,
		.num_cpus = 8,
		.hz = 250,
		.ram_bytes = 16ull << 30,
		.service_version = "pftrace 0.1.0",
	};
	struct pw_process procs[2] = {
		{.pid = 1000,
		 .ppid = 1,
		 .uid = 1001,
		 .cmdline = cmdline1,
		 .cmdline_len = sizeof(cmdline1) - 1},
		{.pid = 2,
		 .ppid = 0,
		 .uid = 0,
		 .cmdline = "kthreadd",
		 .cmdline_len = 8,
		 .is_kthread = 1,
		 .cmdline_is_comm = 1},
	};
	struct pw_thread threads[3] = {
		{1000, 1000, "foo"},
		{1001, 1000, "foo worker"},
		{2, 2, "kthreadd"},
	};

	*ok = pw_clock_snapshot(w, clocks, 3) == 0 && pw_system_info(w, &si) == 0 &&
	      pw_process_tree(w, 5000, procs, 2, threads, 3) == 0;
}

/* Every event kind on cpu @c; the reader lines they should give are recorded alongside. */
static int emit_events(struct pw_writer *w, uint32_t c)
{
	struct pw_ev e = {.cpu = c, .pid = PID(c)};
	struct pw_field gf[4] = {
		{.name = "dev", .kind = PW_FIELD_UINT, .u = 8388608},
		{.name = "comm", .kind = PW_FIELD_STR, .s = "dd"},
		{.name = "sector", .kind = PW_FIELD_INT, .i = -5},
		{.name = "rwbs", .kind = PW_FIELD_STR, .s = "W S"},
	};
	char a[256], *la;
	int k = 0;

#define EV() (e.ts = TS(c, k), &e)
	pw_ftrace_sched_switch(w, EV(), "bash", 10 + c, 120, c ? 0x402 : 1, "my task", 20 + c, 100);
	snprintf(a, sizeof(a),
		 "prev_comm=bash prev_pid=%u prev_prio=120 prev_state=%s "
		 "next_comm=\"my task\" next_pid=%u next_prio=100",
		 10 + c, c ? "0x402" : "0x1", 20 + c);
	expect(c, k++, "sched_switch", -1, 10 + c, "bash", 20 + c, "my task", a);

	pw_ftrace_sched_waking(w, EV(), "worker", 30 + c, 120, c);
	snprintf(a, sizeof(a), "comm=worker pid=%u prio=120 target_cpu=%u", 30 + c, c);
	expect(c, k++, "sched_waking", -1, 30 + c, "worker", 0, NULL, a);

	pw_ftrace_sched_wakeup_new(w, EV(), "child", 31 + c, 120, 1 - c);
	snprintf(a, sizeof(a), "comm=child pid=%u prio=120 target_cpu=%u", 31 + c, 1 - c);
	expect(c, k++, "sched_wakeup_new", -1, 31 + c, "child", 0, NULL, a);

	pw_ftrace_sched_wakeup(w, EV(), "worker", 30 + c, 120, c);
	snprintf(a, sizeof(a), "comm=worker pid=%u prio=120 target_cpu=%u", 30 + c, c);
	expect(c, k++, "sched_wakeup", -1, 30 + c, "worker", 0, NULL, a);

	pw_ftrace_sched_process_fork(w, EV(), "bash", 10 + c, "bash", 40 + c);
	snprintf(a, sizeof(a), "parent_comm=bash parent_pid=%u child_comm=bash child_pid=%u",
		 10 + c, 40 + c);
	expect(c, k++, "sched_process_fork", -1, 40 + c, "bash", 0, NULL, a);

	pw_ftrace_sched_process_exec(w, EV(), "/usr/bin/true", 40 + c, 40 + c);
	snprintf(a, sizeof(a), "filename=/usr/bin/true pid=%u old_pid=%u", 40 + c, 40 + c);
	expect(c, k++, "sched_process_exec", -1, 0, NULL, 0, NULL, a);

	pw_ftrace_sched_process_exit(w, EV(), "true", 40 + c, 40 + c, 120);
	snprintf(a, sizeof(a), "comm=true pid=%u tgid=%u prio=120", 40 + c, 40 + c);
	expect(c, k++, "sched_process_exit", -1, 40 + c, "true", 0, NULL, a);

	pw_ftrace_sched_process_free(w, EV(), "true", 40 + c, 120);
	snprintf(a, sizeof(a), "comm=true pid=%u prio=120", 40 + c);
	expect(c, k++, "sched_process_free", -1, 40 + c, "true", 0, NULL, a);

	pw_ftrace_sched_process_wait(w, EV(), "bash", 10 + c, 120);
	snprintf(a, sizeof(a), "comm=bash pid=%u prio=120", 10 + c);
	expect(c, k++, "sched_process_wait", -1, 0, NULL, 0, NULL, a);

	pw_ftrace_sched_migrate_task(w, EV(), "worker", 30 + c, 120, c, 1 - c);
	snprintf(a, sizeof(a), "comm=worker pid=%u prio=120 orig_cpu=%u dest_cpu=%u", 30 + c, c,
		 1 - c);
	expect(c, k++, "sched_migrate_task", -1, 0, NULL, 0, NULL, a);

	pw_ftrace_task_newtask(w, EV(), 50 + c, "bash", 0x3d0f00, -1000);
	snprintf(a, sizeof(a), "pid=%u comm=bash clone_flags=0x3d0f00 oom_score_adj=-1000", 50 + c);
	expect(c, k++, "task_newtask", -1, 50 + c, "bash", 0, NULL, a);

	pw_ftrace_task_rename(w, EV(), 50 + c, "bash", "new name", 0);
	snprintf(a, sizeof(a), "pid=%u oldcomm=bash newcomm=\"new name\" oom_score_adj=0", 50 + c);
	expect(c, k++, "task_rename", -1, 50 + c, "new name", 0, NULL, a);

	pw_ftrace_irq_handler_entry(w, EV(), 16 + (int)c, "eth0");
	snprintf(a, sizeof(a), "irq=%u name=eth0", 16 + c);
	expect(c, k++, "irq_handler_entry", -1, 0, NULL, 0, NULL, a);

	pw_ftrace_irq_handler_exit(w, EV(), 16 + (int)c, 1);
	snprintf(a, sizeof(a), "irq=%u ret=1", 16 + c);
	expect(c, k++, "irq_handler_exit", -1, 0, NULL, 0, NULL, a);

	pw_ftrace_softirq_raise(w, EV(), 9);
	expect(c, k++, "softirq_raise", -1, 0, NULL, 0, NULL, "vec=9");
	pw_ftrace_softirq_entry(w, EV(), 3);
	expect(c, k++, "softirq_entry", -1, 0, NULL, 0, NULL, "vec=3");
	pw_ftrace_softirq_exit(w, EV(), 3);
	expect(c, k++, "softirq_exit", -1, 0, NULL, 0, NULL, "vec=3");

	pw_ftrace_sys_enter(w, EV(), 0, sys_args, 3);
	expect(c, k++, "sys_enter", 0, 0, NULL, 0, NULL, "id=0 args=0x3,0x7ffd0000,0x1000");
	pw_ftrace_sys_exit(w, EV(), 0, -11);
	expect(c, k++, "sys_exit", 0, 0, NULL, 0, NULL, "id=0 ret=-11");

	pw_ftrace_print(w, EV(), 0xffffffff81000000ull, "B|123|slice\n");
	expect(c, k++, "print", -1, 0, NULL, 0, NULL,
	       "ip=18446744071578845184 buf=\"B|123|slice\\n\"");

	pw_ftrace_generic(w, EV(), "my_event", gf, 4);
	expect(c, k++, "my_event", -1, 0, NULL, 0, NULL,
	       "dev=8388608 comm=dd sector=-5 rwbs=\"W S\"");

	/* bodies >= 128 bytes: the length varint grows after the body is written */
	pw_ftrace_sched_process_exec(w, EV(), long_filename, 1, 1);
	la = xasprintf("filename=%s pid=1 old_pid=1", long_filename);
	expect(c, k++, "sched_process_exec", -1, 0, NULL, 0, NULL, la);
	free(la);
	pw_ftrace_print(w, EV(), 1, long_buf);
	la = xasprintf("ip=1 buf=%.4096s", long_buf);
	expect(c, k++, "print", -1, 0, NULL, 0, NULL, la);
	free(la);
#undef EV
	return k;
}

/* --- (a) generated code ------------------------------------------------------ */

static size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < 10 && p + i < end; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* The bytes of top-level field @field (length-delimited) inside message @p..@end. */
static const uint8_t *find_field(const uint8_t *p, const uint8_t *end, uint32_t field, size_t *len)
{
	while (p < end) {
		uint64_t key, v;
		size_t k = get_varint(p, end, &key);

		if (!k)
			return NULL;
		p += k;
		switch (key & 7) {
		case 0:
			k = get_varint(p, end, &v);
			if (!k)
				return NULL;
			p += k;
			break;
		case 2:
			k = get_varint(p, end, &v);
			if (!k)
				return NULL;
			p += k;
			if ((key >> 3) == field) {
				*len = (size_t)v;
				return p;
			}
			p += v;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	return buf;
}

static const FtraceEvent *ev_at(const Perfetto__Protos__FtraceEventBundle *b, uint32_t c, int k,
				Perfetto__Protos__FtraceEvent__EventCase want)
{
	const FtraceEvent *e;

	if (!tap_ok((size_t)k < b->n_event, "cpu%u event %d exists", c, k))
		return NULL;
	e = b->event[k];
	if (!tap_ok(e->has_timestamp && e->timestamp == TS(c, k) && e->has_pid &&
			    e->pid == PID(c) && e->event_case == want,
		    "cpu%u event %d: timestamp, pid, kind %d", c, k, (int)want))
		return NULL;
	return e;
}

#define STR_EQ(a, b) ((a) && !strcmp((a), (b)))

static void check_bundle(const Perfetto__Protos__FtraceEventBundle *b, uint32_t c, int nev)
{
	const FtraceEvent *e;
	int k = 0;

	tap_ok(b->has_cpu && b->cpu == c, "bundle cpu %u", c);
	tap_is_int(b->n_event, nev, "bundle event count");
	tap_ok(c == 1 ? (b->has_lost_events && b->lost_events) : !b->has_lost_events,
	       "cpu%u lost_events %s", c, c == 1 ? "set" : "unset");

	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_SWITCH);
	if (e) {
		const Perfetto__Protos__SchedSwitchFtraceEvent *s = e->sched_switch;

		tap_ok(STR_EQ(s->prev_comm, "bash") && s->has_prev_pid &&
			       s->prev_pid == (int)(10 + c) && s->prev_prio == 120 &&
			       s->has_prev_state && s->prev_state == (c ? 0x402 : 1) &&
			       STR_EQ(s->next_comm, "my task") && s->next_pid == (int)(20 + c) &&
			       s->has_next_prio && s->next_prio == 100,
		       "sched_switch payload");
	}
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKING);
	if (e)
		tap_ok(STR_EQ(e->sched_waking->comm, "worker") &&
			       e->sched_waking->pid == (int)(30 + c) &&
			       e->sched_waking->prio == 120 && e->sched_waking->has_target_cpu &&
			       e->sched_waking->target_cpu == (int)c &&
			       !e->sched_waking->has_success,
		       "sched_waking payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKEUP_NEW);
	if (e)
		tap_ok(STR_EQ(e->sched_wakeup_new->comm, "child") &&
			       e->sched_wakeup_new->pid == (int)(31 + c) &&
			       e->sched_wakeup_new->target_cpu == (int)(1 - c),
		       "sched_wakeup_new payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKEUP);
	if (e)
		tap_ok(STR_EQ(e->sched_wakeup->comm, "worker") &&
			       e->sched_wakeup->pid == (int)(30 + c),
		       "sched_wakeup payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_FORK);
	if (e) {
		const Perfetto__Protos__SchedProcessForkFtraceEvent *f = e->sched_process_fork;

		tap_ok(STR_EQ(f->parent_comm, "bash") && f->parent_pid == (int)(10 + c) &&
			       STR_EQ(f->child_comm, "bash") && f->child_pid == (int)(40 + c),
		       "sched_process_fork payload");
	}
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_EXEC);
	if (e)
		tap_ok(STR_EQ(e->sched_process_exec->filename, "/usr/bin/true") &&
			       e->sched_process_exec->pid == (int)(40 + c) &&
			       e->sched_process_exec->has_old_pid &&
			       e->sched_process_exec->old_pid == (int)(40 + c),
		       "sched_process_exec payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_EXIT);
	if (e)
		tap_ok(STR_EQ(e->sched_process_exit->comm, "true") &&
			       e->sched_process_exit->pid == (int)(40 + c) &&
			       e->sched_process_exit->tgid == (int)(40 + c) &&
			       e->sched_process_exit->prio == 120,
		       "sched_process_exit payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_FREE);
	if (e)
		tap_ok(STR_EQ(e->sched_process_free->comm, "true") &&
			       e->sched_process_free->pid == (int)(40 + c) &&
			       e->sched_process_free->prio == 120,
		       "sched_process_free payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_WAIT);
	if (e)
		tap_ok(STR_EQ(e->sched_process_wait->comm, "bash") &&
			       e->sched_process_wait->pid == (int)(10 + c) &&
			       e->sched_process_wait->prio == 120,
		       "sched_process_wait payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_MIGRATE_TASK);
	if (e) {
		const Perfetto__Protos__SchedMigrateTaskFtraceEvent *m = e->sched_migrate_task;

		tap_ok(STR_EQ(m->comm, "worker") && m->pid == (int)(30 + c) && m->prio == 120 &&
			       m->has_orig_cpu && m->orig_cpu == (int)c &&
			       m->dest_cpu == (int)(1 - c) && !m->has_running && !m->has_load,
		       "sched_migrate_task payload");
	}
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_NEWTASK);
	if (e)
		tap_ok(e->task_newtask->pid == (int)(50 + c) &&
			       STR_EQ(e->task_newtask->comm, "bash") &&
			       e->task_newtask->clone_flags == 0x3d0f00 &&
			       e->task_newtask->has_oom_score_adj &&
			       e->task_newtask->oom_score_adj == -1000,
		       "task_newtask payload (negative int32)");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_RENAME);
	if (e)
		tap_ok(e->task_rename->pid == (int)(50 + c) &&
			       STR_EQ(e->task_rename->oldcomm, "bash") &&
			       STR_EQ(e->task_rename->newcomm, "new name") &&
			       e->task_rename->has_oom_score_adj &&
			       e->task_rename->oom_score_adj == 0,
		       "task_rename payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_IRQ_HANDLER_ENTRY);
	if (e)
		tap_ok(e->irq_handler_entry->irq == (int)(16 + c) &&
			       STR_EQ(e->irq_handler_entry->name, "eth0") &&
			       !e->irq_handler_entry->has_handler,
		       "irq_handler_entry payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_IRQ_HANDLER_EXIT);
	if (e)
		tap_ok(e->irq_handler_exit->irq == (int)(16 + c) && e->irq_handler_exit->ret == 1,
		       "irq_handler_exit payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SOFTIRQ_RAISE);
	if (e)
		tap_ok(e->softirq_raise->has_vec && e->softirq_raise->vec == 9,
		       "softirq_raise payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SOFTIRQ_ENTRY);
	if (e)
		tap_ok(e->softirq_entry->vec == 3, "softirq_entry payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SOFTIRQ_EXIT);
	if (e)
		tap_ok(e->softirq_exit->vec == 3, "softirq_exit payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SYS_ENTER);
	if (e)
		tap_ok(e->sys_enter->has_id && e->sys_enter->id == 0 && e->sys_enter->n_args == 3 &&
			       e->sys_enter->args[0] == 3 && e->sys_enter->args[1] == 0x7ffd0000 &&
			       e->sys_enter->args[2] == 4096,
		       "sys_enter payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SYS_EXIT);
	if (e)
		tap_ok(e->sys_exit->id == 0 && e->sys_exit->has_ret && e->sys_exit->ret == -11,
		       "sys_exit payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_PRINT);
	if (e)
		tap_ok(e->print->ip == 0xffffffff81000000ull &&
			       STR_EQ(e->print->buf, "B|123|slice\n"),
		       "print payload");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_GENERIC);
	if (e) {
		const Perfetto__Protos__GenericFtraceEvent *g = e->generic;
		bool ok = STR_EQ(g->event_name, "my_event") && g->n_field == 4;

		ok = ok && STR_EQ(g->field[0]->name, "dev") &&
		     g->field[0]->value_case ==
			     PERFETTO__PROTOS__GENERIC_FTRACE_EVENT__FIELD__VALUE_UINT_VALUE &&
		     g->field[0]->uint_value == 8388608;
		ok = ok && STR_EQ(g->field[1]->name, "comm") &&
		     g->field[1]->value_case ==
			     PERFETTO__PROTOS__GENERIC_FTRACE_EVENT__FIELD__VALUE_STR_VALUE &&
		     STR_EQ(g->field[1]->str_value, "dd");
		ok = ok && STR_EQ(g->field[2]->name, "sector") &&
		     g->field[2]->value_case ==
			     PERFETTO__PROTOS__GENERIC_FTRACE_EVENT__FIELD__VALUE_INT_VALUE &&
		     g->field[2]->int_value == -5;
		ok = ok && STR_EQ(g->field[3]->str_value, "W S");
		tap_ok(ok, "generic payload: event_name, str/uint/int fields");
	}
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_EXEC);
	if (e)
		tap_ok(STR_EQ(e->sched_process_exec->filename, long_filename),
		       "300-byte filename round-trips");
	e = ev_at(b, c, k++, PERFETTO__PROTOS__FTRACE_EVENT__EVENT_PRINT);
	if (e)
		tap_ok(e->print->buf && strlen(e->print->buf) == 4096 &&
			       !strncmp(e->print->buf, long_buf, 4096),
		       "5000-byte print buf cut at 4096");
}

/* Unpacks every packet of @path with the generated code and checks it. */
static void check_generated(const char *path, int nev_per_cpu)
{
	size_t len, i, pkts = 0;
	uint8_t *buf = read_all(path, &len);
	const uint8_t *p = buf, *end = buf + len;
	int bundles = 0, trees = 0;

	tap_diag("(a) decoding %s with the protobuf-c generated code", path);
	if (!tap_ok(buf != NULL, "read back the trace"))
		return;
	while (p < end) {
		uint64_t plen = 0;
		size_t k;
		Packet *pk;

		if (!tap_ok(p[0] == 0x0A, "packet %zu starts with 0x0A", pkts))
			break;
		k = get_varint(p + 1, end, &plen);
		if (!tap_ok(k && plen <= (uint64_t)(end - p - 1 - k), "packet %zu length", pkts))
			break;
		p += 1 + k;
		pk = perfetto__protos__trace_packet__unpack(NULL, plen, p);
		if (!tap_ok(pk != NULL, "packet %zu unpacks", pkts))
			break;
		tap_ok(pk->has_trusted_packet_sequence_id && pk->trusted_packet_sequence_id == 1,
		       "packet %zu on sequence 1", pkts);
		if (pkts == 0) {
			tap_ok(pk->has_first_packet_on_sequence && pk->first_packet_on_sequence &&
				       pk->has_sequence_flags && pk->sequence_flags == 1,
			       "first packet: first_packet_on_sequence + "
			       "INCREMENTAL_STATE_CLEARED");
		} else {
			tap_ok(!pk->has_first_packet_on_sequence && !pk->has_sequence_flags,
			       "packet %zu: no sequence flags", pkts);
		}
		switch (pk->data_case) {
		case PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT: {
			const Perfetto__Protos__ClockSnapshot *cs = pk->clock_snapshot;

			tap_ok(pkts == 0, "clock snapshot is the first packet");
			tap_ok(pk->has_timestamp && pk->timestamp == BOOT_TS,
			       "clock snapshot packet timestamp = BOOTTIME");
			tap_ok(cs->n_clocks == 3 && cs->clocks[0]->clock_id == 6 &&
				       cs->clocks[0]->timestamp == BOOT_TS &&
				       cs->clocks[1]->clock_id == 3 &&
				       cs->clocks[1]->timestamp == 888000 &&
				       cs->clocks[2]->clock_id == 1 &&
				       cs->clocks[2]->timestamp == 1700000000000000000ull,
			       "clock snapshot clocks");
			tap_ok(cs->has_primary_trace_clock && cs->primary_trace_clock == 6,
			       "primary_trace_clock = BOOTTIME");
			break;
		}
		case PERFETTO__PROTOS__TRACE_PACKET__DATA_SYSTEM_INFO: {
			const Perfetto__Protos__SystemInfo *si = pk->system_info;

			tap_ok(si->utsname && STR_EQ(si->utsname->sysname, "Linux") &&
				       STR_EQ(si->utsname->release, "6.1.0-test") &&
				       STR_EQ(si->utsname->version, "#1 SMP PREEMPT") &&
				       STR_EQ(si->utsname->machine, "x86_64"),
			       "system info utsname");
			tap_ok(si->page_size == 4096 && si->num_cpus == 8 && si->hz == 250 &&
				       si->system_ram_bytes == (16ull << 30) &&
				       STR_EQ(si->tracing_service_version, "pftrace 0.1.0") &&
				       !si->machine_name,
			       "system info numbers, service version");
			break;
		}
		case PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE: {
			const Perfetto__Protos__ProcessTree *t = pk->process_tree;

			trees++;
			tap_ok(pk->has_timestamp && pk->timestamp == 5000,
			       "process tree timestamp");
			if (tap_ok(t->n_processes == 2 && t->n_threads == 3,
				   "2 processes, 3 threads")) {
				const Perfetto__Protos__ProcessTree__Process *a = t->processes[0];
				const Perfetto__Protos__ProcessTree__Process *b = t->processes[1];

				tap_ok(a->pid == 1000 && a->ppid == 1 && a->uid == 1001 &&
					       a->n_cmdline == 3 &&
					       STR_EQ(a->cmdline[0], "/bin/foo") &&
					       STR_EQ(a->cmdline[1], "-x") &&
					       STR_EQ(a->cmdline[2], "arg two") &&
					       !a->has_is_kthread,
				       "process 1000: cmdline split at NULs, trailing empty "
				       "dropped");
				tap_ok(b->pid == 2 && b->ppid == 0 && b->n_cmdline == 1 &&
					       STR_EQ(b->cmdline[0], "kthreadd") && b->is_kthread &&
					       b->cmdline_is_comm,
				       "kthread: is_kthread, cmdline_is_comm");
				tap_ok(t->threads[0]->tid == 1000 && t->threads[0]->tgid == 1000 &&
					       STR_EQ(t->threads[0]->name, "foo") &&
					       t->threads[1]->tid == 1001 &&
					       t->threads[1]->tgid == 1000 &&
					       STR_EQ(t->threads[1]->name, "foo worker") &&
					       t->threads[2]->tid == 2 &&
					       STR_EQ(t->threads[2]->name, "kthreadd"),
				       "threads: tid, tgid, name");
			}
			break;
		}
		case PERFETTO__PROTOS__TRACE_PACKET__DATA_FTRACE_EVENTS: {
			const Perfetto__Protos__FtraceEventBundle *b = pk->ftrace_events;
			const uint8_t *raw;
			size_t rawlen = 0, sz;
			uint8_t *re;

			check_bundle(b, (uint32_t)bundles, nev_per_cpu);
			bundles++;
			/* canonical: protobuf-c packs the decoded bundle to the very same bytes */
			raw = find_field(p, p + plen, 1, &rawlen);
			sz = protobuf_c_message_get_packed_size(&b->base);
			re = malloc(sz ? sz : 1);
			protobuf_c_message_pack(&b->base, re);
			tap_ok(raw && sz == rawlen && !memcmp(re, raw, sz),
			       "bundle bytes == protobuf-c re-pack (%zu bytes)", rawlen);
			free(re);
			break;
		}
		default:
			tap_ok(0, "unexpected packet kind %d", (int)pk->data_case);
			break;
		}
		perfetto__protos__trace_packet__free_unpacked(pk, NULL);
		p += plen;
		pkts++;
	}
	tap_is_int(pkts, 5, "5 packets: clock, system info, process tree, 2 bundles");
	tap_is_int(bundles, NCPU, "one bundle per cpu");
	tap_is_int(trees, 1, "one process tree packet");
	(void)i;
	free(buf);
}

/* --- (b) reader -------------------------------------------------------------- */

struct got {
	char *lines[MAX_LINES];
	int nlines;
	struct prd_process procs[4];
	char *proc_cmdline[4];
	int nprocs;
	struct prd_thread threads[4];
	char *thread_name[4];
	int nthreads;
	uint64_t tree_ts;
	struct prd_clock clocks[4];
	size_t nclocks;
	char *sys[4];
	uint32_t page_size, num_cpus;
	int nsysinfo;
	uint32_t lost_cpu[4];
	uint64_t lost_ts[4];
	int nlost;
	uint32_t other[8];
	int nother;
	int64_t long_args_len;
};

static void got_event(void *ctx, const struct prd_event *e)
{
	struct got *g = ctx;

	if (g->nlines < MAX_LINES)
		g->lines[g->nlines++] =
			event_line(e->ts, e->cpu, e->pid, e->name, e->syscall_id, e->comm_tid[0],
				   e->comm[0], e->comm_tid[1], e->comm[1], e->args);
}

static void got_process(void *ctx, uint64_t ts, const struct prd_process *p)
{
	struct got *g = ctx;

	g->tree_ts = ts;
	if (g->nprocs < 4) {
		g->procs[g->nprocs] = *p;
		g->proc_cmdline[g->nprocs++] = strdup(p->cmdline);
	}
}

static void got_thread(void *ctx, uint64_t ts, const struct prd_thread *t)
{
	struct got *g = ctx;

	if (g->nthreads < 4) {
		g->threads[g->nthreads] = *t;
		g->thread_name[g->nthreads++] = strdup(t->name);
	}
}

static void got_clocks(void *ctx, const struct prd_clock *c, size_t n)
{
	struct got *g = ctx;

	g->nclocks = n;
	memcpy(g->clocks, c, (n < 4 ? n : 4) * sizeof(*c));
}

static void got_sysinfo(void *ctx, const struct prd_sysinfo *si)
{
	struct got *g = ctx;

	g->nsysinfo++;
	g->sys[0] = strdup(si->sysname ? si->sysname : "(null)");
	g->sys[1] = strdup(si->release ? si->release : "(null)");
	g->sys[2] = strdup(si->version ? si->version : "(null)");
	g->sys[3] = strdup(si->machine ? si->machine : "(null)");
	g->page_size = si->page_size;
	g->num_cpus = si->num_cpus;
}

static void got_lost(void *ctx, uint32_t cpu, uint64_t ts)
{
	struct got *g = ctx;

	if (g->nlost < 4) {
		g->lost_cpu[g->nlost] = cpu;
		g->lost_ts[g->nlost++] = ts;
	}
}

static void got_other(void *ctx, uint32_t kind)
{
	struct got *g = ctx;

	if (g->nother < 8)
		g->other[g->nother++] = kind;
}

static const struct prd_callbacks got_cb = {
	.event = got_event,
	.process = got_process,
	.thread = got_thread,
	.clock_snapshot = got_clocks,
	.system_info = got_sysinfo,
	.lost = got_lost,
	.other = got_other,
};

static void got_free(struct got *g)
{
	int i;

	for (i = 0; i < g->nlines; i++)
		free(g->lines[i]);
	for (i = 0; i < g->nprocs; i++)
		free(g->proc_cmdline[i]);
	for (i = 0; i < g->nthreads; i++)
		free(g->thread_name[i]);
	for (i = 0; i < 4 && g->nsysinfo; i++)
		free(g->sys[i]);
}

static void check_reader(const char *path, uint64_t file_bytes)
{
	struct prd_stats st;
	struct got g;
	int i, ret;

	tap_diag("(b) reading %s with prd_read_file", path);
	memset(&g, 0, sizeof(g));
	ret = prd_read_file(path, &got_cb, &g, &st);
	tap_is_int(ret, 0, "prd_read_file returns 0");
	tap_is_int(st.packets, 5, "stats: packets");
	tap_is_int(st.events, nexpected, "stats: events");
	tap_is_int(st.bytes, file_bytes, "stats: bytes = file size");

	tap_is_int(g.nlines, nexpected, "event count");
	for (i = 0; i < g.nlines && i < nexpected; i++) {
		if (strlen(expected[i]) > 300) {
			/* long ones: do not flood the log when they differ */
			tap_ok(!strcmp(g.lines[i], expected[i]), "event %d (%zu chars)", i,
			       strlen(expected[i]));
			continue;
		}
		tap_is_str(g.lines[i], expected[i], expected[i]);
	}

	tap_is_int(g.nclocks, 3, "clock snapshot: 3 clocks");
	tap_ok(g.clocks[0].clock_id == 6 && g.clocks[0].ts == BOOT_TS &&
		       g.clocks[1].clock_id == 3 && g.clocks[2].clock_id == 1,
	       "clock snapshot: ids and values");
	tap_is_int(g.nsysinfo, 1, "one system info");
	if (g.nsysinfo) {
		tap_is_str(g.sys[0], "Linux", "sysinfo sysname");
		tap_is_str(g.sys[1], "6.1.0-test", "sysinfo release");
		tap_is_str(g.sys[2], "#1 SMP PREEMPT", "sysinfo version");
		tap_is_str(g.sys[3], "x86_64", "sysinfo machine");
		tap_ok(g.page_size == 4096 && g.num_cpus == 8, "sysinfo page_size, num_cpus");
	}
	tap_is_int(g.nprocs, 2, "2 processes");
	tap_is_int(g.tree_ts, 5000, "process tree ts");
	if (g.nprocs == 2) {
		tap_ok(g.procs[0].pid == 1000 && g.procs[0].ppid == 1 && g.procs[0].uid == 1001 &&
			       !g.procs[0].is_kthread,
		       "process 1000");
		tap_is_str(g.proc_cmdline[0], "/bin/foo -x arg two", "cmdline joined with spaces");
		tap_ok(g.procs[1].pid == 2 && g.procs[1].is_kthread, "kthread 2");
		tap_is_str(g.proc_cmdline[1], "kthreadd", "kthread cmdline");
	}
	tap_is_int(g.nthreads, 3, "3 threads");
	if (g.nthreads == 3) {
		tap_ok(g.threads[1].tid == 1001 && g.threads[1].tgid == 1000,
		       "thread 1001 of 1000");
		tap_is_str(g.thread_name[1], "foo worker", "thread name");
	}
	tap_is_int(g.nlost, 1, "one lost mark");
	tap_ok(g.nlost == 1 && g.lost_cpu[0] == 1 && g.lost_ts[0] == TS(1, 0),
	       "lost on cpu 1 at its first event's time");
	tap_is_int(g.nother, 0, "no unknown packets");
	got_free(&g);
}

/* --- CompactSched, unknown packets ----------------------------------------------- */

static size_t frame_packet(uint8_t *out, const Packet *pk)
{
	size_t sz = protobuf_c_message_get_packed_size(&pk->base);
	uint8_t *p = out;
	size_t v = sz;

	*p++ = 0x0A;
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return (size_t)(p - out) + protobuf_c_message_pack(&pk->base, p);
}

static void test_compact_and_other(void)
{
	char *table[] = {"swapper/2", "bash", "kworker"};
	uint64_t sts[] = {1000, 10, 20};
	int64_t sstate[] = {0, 1, 0x402};
	int32_t spid[] = {5, 0, 7}, sprio[] = {120, 120, 100};
	uint32_t scomm[] = {1, 0, 2};
	uint64_t wts[] = {1005, 20};
	int32_t wpid[] = {7, 5}, wcpu[] = {2, 3}, wprio[] = {100, 120};
	uint32_t wcomm[] = {2, 1};
	Perfetto__Protos__FtraceEventBundle__CompactSched cs =
		PERFETTO__PROTOS__FTRACE_EVENT_BUNDLE__COMPACT_SCHED__INIT;
	Perfetto__Protos__FtraceEventBundle b = PERFETTO__PROTOS__FTRACE_EVENT_BUNDLE__INIT;
	Perfetto__Protos__PerfSample ps = PERFETTO__PROTOS__PERF_SAMPLE__INIT;
	Packet pk = PERFETTO__PROTOS__TRACE_PACKET__INIT,
	       pk2 = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	static const uint8_t unknown_pkt[] = {0x0A, 0x04, 0x50, 0x01, 0x4A, 0x00};
	const char *want[5];
	uint8_t buf[1024];
	struct prd_stats st;
	struct got g;
	size_t len;
	int i, ret;

	cs.n_intern_table = 3;
	cs.intern_table = table;
	cs.n_switch_timestamp = cs.n_switch_prev_state = cs.n_switch_next_pid = 3;
	cs.n_switch_next_prio = cs.n_switch_next_comm_index = 3;
	cs.switch_timestamp = sts;
	cs.switch_prev_state = sstate;
	cs.switch_next_pid = spid;
	cs.switch_next_prio = sprio;
	cs.switch_next_comm_index = scomm;
	cs.n_waking_timestamp = cs.n_waking_pid = cs.n_waking_target_cpu = 2;
	cs.n_waking_prio = cs.n_waking_comm_index = 2;
	cs.waking_timestamp = wts;
	cs.waking_pid = wpid;
	cs.waking_target_cpu = wcpu;
	cs.waking_prio = wprio;
	cs.waking_comm_index = wcomm;
	b.has_cpu = 1;
	b.cpu = 2;
	b.compact_sched = &cs;
	pk.has_trusted_packet_sequence_id = 1;
	pk.trusted_packet_sequence_id = 1;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_FTRACE_EVENTS;
	pk.ftrace_events = &b;
	len = frame_packet(buf, &pk);

	ps.has_cpu = 1;
	ps.cpu = 1;
	ps.has_pid = 1;
	ps.pid = 7;
	pk2.has_trusted_packet_sequence_id = 1;
	pk2.trusted_packet_sequence_id = 2;
	pk2.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE;
	pk2.perf_sample = &ps;
	len += frame_packet(buf + len, &pk2);
	/* a packet whose payload (process_stats = 9) this schema does not have */
	memcpy(buf + len, unknown_pkt, sizeof(unknown_pkt));
	len += sizeof(unknown_pkt);

	want[0] = "1000 cpu2 pid0 sched_switch sys=-1 hint=0:-,5:bash | "
		  "prev_state=0x0 next_comm=bash next_pid=5 next_prio=120";
	want[1] = "1005 cpu2 pid5 sched_waking sys=-1 hint=7:kworker,0:- | "
		  "comm=kworker pid=7 prio=100 target_cpu=2";
	want[2] = "1010 cpu2 pid5 sched_switch sys=-1 hint=5:bash,0:swapper/2 | "
		  "prev_comm=bash prev_pid=5 prev_prio=120 prev_state=0x1 next_comm=swapper/2 "
		  "next_pid=0 next_prio=120";
	want[3] = "1025 cpu2 pid0 sched_waking sys=-1 hint=5:bash,0:- | "
		  "comm=bash pid=5 prio=120 target_cpu=3";
	want[4] = "1030 cpu2 pid0 sched_switch sys=-1 hint=0:swapper/2,7:kworker | "
		  "prev_comm=swapper/2 prev_pid=0 prev_prio=120 prev_state=0x402 "
		  "next_comm=kworker next_pid=7 next_prio=100";

	tap_diag("CompactSched expansion and unknown packets (prd_read_buffer)");
	memset(&g, 0, sizeof(g));
	ret = prd_read_buffer(buf, len, &got_cb, &g, &st);
	tap_is_int(ret, 0, "prd_read_buffer returns 0");
	tap_is_int(st.packets, 3, "3 packets");
	tap_is_int(g.nlines, 5, "3 switches + 2 wakings expanded");
	for (i = 0; i < g.nlines && i < 5; i++)
		tap_is_str(g.lines[i], want[i], "compact event in time order");
	tap_ok(g.nother == 2 && g.other[0] == 66 && g.other[1] == 9,
	       "other(): perf_sample = 66, unknown payload = 9");
	got_free(&g);

	/* inconsistent arrays are a corrupt trace */
	cs.n_switch_next_pid = 2;
	len = frame_packet(buf, &pk);
	ret = prd_read_buffer(buf, len, NULL, NULL, NULL);
	tap_is_int(ret, -EBADMSG, "CompactSched with mismatched arrays -> -EBADMSG");
}

/* --- errors ------------------------------------------------------------------------ */

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void test_disk_full(void)
{
	const unsigned total = 200000;
	struct rlimit old;
	struct pw_writer *w;
	uint64_t bytes, events, dropped;
	struct prd_stats st;
	struct stat sb;
	char *path = tmp_path("full.pb");
	unsigned i;
	int fd, ret, err, close_ret;

	tap_diag("(c) disk full: RLIMIT_FSIZE makes write() fail with EFBIG");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = pw_writer__new(fd, 2);
	if (!tap_ok(fd >= 0 && w, "writer on %s", path))
		return;
	if ((err = tap_limit_file_size(100000, &old)) < 0) {
		pw_writer__close(w);
		tap_skip("setrlimit(RLIMIT_FSIZE) failed: %s", strerror(-err));
		free(path);
		return;
	}
	write_one_offs(w, &ret);
	for (i = 0; i < total; i++) {
		struct pw_ev e = {.ts = 1000 + i, .cpu = i & 1, .pid = 42};

		pw_ftrace_sys_enter(w, &e, 1, sys_args, 3);
		if (i % 1000 == 999)
			pw_writer__flush_cpu(w, i & 1);
	}
	ret = pw_writer__flush(w);
	err = pw_writer__error(w);
	bytes = pw_writer__bytes(w);
	events = pw_writer__events(w);
	dropped = pw_writer__dropped_events(w);
	close_ret = pw_writer__close(w);
	setrlimit(RLIMIT_FSIZE, &old);

	tap_is_int(ret, -EFBIG, "flush returns -EFBIG");
	tap_is_int(err, -EFBIG, "pw_writer__error is sticky -EFBIG");
	tap_is_int(close_ret, -EFBIG, "close returns the sticky error");
	tap_ok(dropped > 0, "dropped_events > 0 (%" PRIu64 ")", dropped);
	tap_is_int(events + dropped, total, "events in the file + dropped = events submitted");
	tap_ok(stat(path, &sb) == 0 && (uint64_t)sb.st_size == bytes && bytes <= 100000 &&
		       bytes > 0,
	       "file cut back to %" PRIu64 " bytes (a packet boundary)", bytes);
	ret = prd_read_file(path, NULL, NULL, &st);
	tap_is_int(ret, 0, "the cut file is a valid trace");
	tap_is_int(st.events, events, "reader sees exactly the events the writer counted");
	unlink(path);
	free(path);
}

static void test_truncated(const char *good)
{
	char *path = tmp_path("trunc.pb");
	struct prd_stats st;
	size_t len;
	uint8_t *buf = read_all(good, &len);
	FILE *f;
	int ret;

	tap_diag("(d) truncated file");
	f = fopen(path, "wb");
	if (!tap_ok(buf && f && fwrite(buf, 1, len - 3, f) == len - 3, "wrote a truncated copy")) {
		if (f)
			fclose(f);
		free(buf);
		free(path);
		return;
	}
	fclose(f);
	ret = prd_read_file(path, NULL, NULL, &st);
	tap_is_int(ret, -EBADMSG, "truncated final packet -> -EBADMSG");
	tap_is_int(st.packets, 4, "the 4 complete packets before it were delivered");
	ret = prd_read_buffer(buf, len, NULL, NULL, &st);
	tap_ok(ret == 0 && st.bytes == len, "the full buffer reads fine (prd_read_buffer)");
	ret = prd_read_buffer(buf, 0, NULL, NULL, &st);
	tap_ok(ret == 0 && st.packets == 0, "an empty trace is valid");
	unlink(path);
	free(path);
	free(buf);
}

static void test_misc(void)
{
	struct pw_writer *w;
	struct pw_ev e = {.ts = 1, .cpu = 7, .pid = 1};
	int fd;

	errno = 0;
	tap_ok(!pw_writer__new(-1, 4) && errno == EINVAL, "pw_writer__new(-1) -> NULL, EINVAL");
	tap_is_int(pw_writer__close(NULL), 0, "pw_writer__close(NULL) = 0");
	fd = open("/dev/null", O_WRONLY);
	w = pw_writer__new(fd, 4);
	pw_ftrace_sys_exit(w, &e, 1, 0);
	tap_is_int(pw_writer__dropped_events(w), 1, "event on cpu >= max_cpus dropped, counted");
	tap_is_int(pw_writer__flush_cpu(w, 9), -EINVAL, "flush_cpu(cpu >= max_cpus) -> -EINVAL");
	tap_is_int(pw_writer__close(w), 0, "close");
}

/* Many events on one cpu: bundles are cut at PW_BUNDLE_MAX and all events come back. */
static void test_bundle_split(void)
{
	const unsigned n = 40000;
	char *path = tmp_path("split.pb");
	struct pw_writer *w;
	struct prd_stats st;
	unsigned i;
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = pw_writer__new(fd, 1);
	for (i = 0; i < n; i++) {
		struct pw_ev e = {.ts = i, .cpu = 0, .pid = 1};

		pw_ftrace_sched_switch(w, &e, "prev", 1, 120, 1, "next", 2, 120);
	}
	ret = pw_writer__flush(w);
	tap_ok(ret == 0 && pw_writer__packets(w) > 2 && pw_writer__events(w) == n,
	       "%u switches -> %" PRIu64 " bundle packets", n, pw_writer__packets(w));
	tap_ok(pw_writer__bytes(w) / pw_writer__packets(w) <= PW_BUNDLE_MAX + 64,
	       "no packet above PW_BUNDLE_MAX");
	pw_writer__close(w);
	ret = prd_read_file(path, NULL, NULL, &st);
	tap_ok(ret == 0 && st.events == n, "all %u events read back", n);
	unlink(path);
	free(path);
}

static void count_tree(void *ctx, uint64_t ts, const struct prd_process *p)
{
	((unsigned *)ctx)[0]++;
}

static void count_thread(void *ctx, uint64_t ts, const struct prd_thread *t)
{
	((unsigned *)ctx)[1]++;
}

/* A big process tree is split into packets of at most 2000 entries. */
static void test_tree_split(void)
{
	const size_t np = 2500, nt = 3000;
	struct prd_callbacks cb = {.process = count_tree, .thread = count_thread};
	char *path = tmp_path("tree.pb");
	struct pw_process *procs = calloc(np, sizeof(*procs));
	struct pw_thread *threads = calloc(nt, sizeof(*threads));
	unsigned counts[2] = {0, 0};
	struct pw_writer *w;
	struct prd_stats st;
	size_t i;
	int fd, ret;

	for (i = 0; i < np; i++) {
		procs[i].pid = (int32_t)(i + 1);
		procs[i].cmdline = "/usr/bin/x\0--flag";
		procs[i].cmdline_len = 17;
	}
	for (i = 0; i < nt; i++) {
		threads[i].tid = (int32_t)(i + 1);
		threads[i].tgid = (int32_t)(i % np + 1);
		threads[i].name = "thr";
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = pw_writer__new(fd, 1);
	ret = pw_process_tree(w, 1, procs, np, threads, nt);
	tap_ok(ret == 0 && pw_writer__close(w) == 0, "process tree of %zu + %zu entries", np, nt);
	ret = prd_read_file(path, &cb, counts, &st);
	tap_ok(ret == 0 && st.packets == 3, "split into 3 packets of <= 2000 entries (%" PRIu64 ")",
	       st.packets);
	tap_ok(counts[0] == np && counts[1] == nt, "all processes and threads read back");
	unlink(path);
	free(path);
	free(procs);
	free(threads);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void bench(void)
{
	const unsigned n = 1000000;
	static const uint64_t args6[6] = {3, 0x7ffd12345678, 4096, 0, 0, 0};
	struct pw_writer *w;
	double t0, t1;
	unsigned i;
	int fd = open("/dev/null", O_WRONLY);

	w = pw_writer__new(fd, 4);
	if (!w)
		return;
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		struct pw_ev e = {.ts = 1000000000ull + i * 150ull, .cpu = i & 3, .pid = 4242};

		pw_ftrace_sys_enter(w, &e, 0, args6, 6);
	}
	pw_writer__flush(w);
	t1 = now_ns();
	tap_diag("bench: %u sys_enter (6 args) in %.1f ms: %.1f ns/event, %.1f bytes/event "
		 "(to /dev/null, bundle flushes and writes included)",
		 n, (t1 - t0) / 1e6, (t1 - t0) / n, (double)pw_writer__bytes(w) / n);
	pw_writer__close(w);
}

int main(void)
{
	const char *td = getenv("TMPDIR");
	struct pw_writer *w;
	char *path;
	struct stat sb;
	int fd, ok, nev = 0, ret;
	uint32_t c;

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_proto.XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(tmpdir)) {
		tap_skip("mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	memset(long_filename, 'f', sizeof(long_filename) - 1);
	long_filename[0] = '/';
	for (size_t i = 0; i < sizeof(long_buf) - 1; i++)
		long_buf[i] = (char)('a' + i % 26);

	path = tmp_path("trace.pb");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = pw_writer__new(fd, 4);
	tap_ok(fd >= 0 && w != NULL, "writer on %s", path);
	if (!w)
		return tap_done();
	write_one_offs(w, &ok);
	tap_ok(ok, "clock snapshot, system info, process tree written");
	pw_ftrace_lost(w, 1);
	for (c = 0; c < NCPU; c++)
		nev = emit_events(w, c);
	ret = pw_writer__flush(w);
	tap_is_int(ret, 0, "flush");
	tap_is_int(pw_writer__packets(w), 5, "5 packets");
	tap_is_int(pw_writer__events(w), 2 * nev, "events in the file");
	tap_is_int(pw_writer__dropped_events(w), 0, "nothing dropped");
	tap_ok(stat(path, &sb) == 0 && (uint64_t)sb.st_size == pw_writer__bytes(w),
	       "pw_writer__bytes = file size (%" PRIu64 ")", pw_writer__bytes(w));
	tap_is_int(pw_writer__close(w), 0, "close");

	check_generated(path, nev);
	check_reader(path, (uint64_t)sb.st_size);
	test_compact_and_other();
	test_disk_full();
	test_truncated(path);
	test_misc();
	test_bundle_split();
	test_tree_split();
	bench();

	if (getenv("TEST_PROTO_KEEP"))
		tap_diag("trace kept: %s", path);
	else {
		unlink(path);
		rmdir(tmpdir);
	}
	free(path);
	for (int i = 0; i < nexpected; i++)
		free(expected[i]);
	return tap_done();
}
