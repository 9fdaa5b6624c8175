/* SPDX-License-Identifier: MIT */
/*
 * proto/reader: walks a trace packet by packet (see reader.h).
 *
 * The file is mapped, not copied; each top-level "0x0A len" record is
 * unpacked with protobuf-c and freed before the next one.  Kernel event
 * payloads are formatted by walking their protobuf-c descriptors, so the
 * argument names and their order (field number order) are exactly the
 * schema's, which are upstream's.  CompactSched arrays are expanded back into
 * sched_switch / sched_waking events.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/reader.h"
#include "pftrace.pb-c.h"

#define PRD_MAX_CPUS 65536
#define PRD_COMM_MAX 64

typedef Perfetto__Protos__TracePacket Packet;
typedef Perfetto__Protos__FtraceEvent FtraceEvent;
typedef Perfetto__Protos__FtraceEventBundle Bundle;
typedef Perfetto__Protos__FtraceEventBundle__CompactSched CompactSched;

/* A growable text buffer for one event's args. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

/* What is known about the task running on a cpu (for CompactSched's implied prev_*). */
struct cpu_state {
	bool known;
	int32_t pid, prio;
	char comm[PRD_COMM_MAX];
};

/* iid -> entry, for one InternedData field of one sequence (or seq id -> sequence) */
struct imap_slot {
	uint64_t key; /* 0: free */
	void *val;
};

struct imap {
	struct imap_slot *slots; /* mask + 1 of them, or NULL */
	size_t mask, count;
};

/*
 * The memory of one unpacked packet: protobuf-c allocates a packet's messages
 * from it and the whole is dropped at once before the next packet, so the
 * per-packet path does no malloc/free once the first block fits the largest
 * packet.  Oversized requests go to extra blocks, freed (and folded into a
 * larger first block) at the next reset.
 */
struct arena_extra {
	struct arena_extra *next;
	max_align_t data[];
};

struct arena {
	char *base;
	size_t used, cap;
	struct arena_extra *extra;
	size_t extra_bytes;
	bool oom;
};

struct rd {
	struct arena ar;
	const struct prd_callbacks *cb;
	void *ctx;
	struct prd_stats st;
	struct sbuf sb;
	struct cpu_state *cpus;
	size_t ncpus;
	struct imap seqs;	  /* trusted_packet_sequence_id -> struct rseq */
	struct prd_frame *frames; /* the stack being delivered */
	size_t frames_cap;
	struct imap tracks;   /* TrackDescriptor uuid -> struct r_track */
	struct prd_arg *args; /* the track event's arguments being delivered */
	size_t args_cap;
};

/* --- packet memory ------------------------------------------------------------------ */

#define ARENA_ALIGN (sizeof(max_align_t))

static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	struct arena_extra *x;
	size_t n = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p;

	if (n < size)
		return NULL;
	if (n <= a->cap - a->used) {
		p = a->base + a->used;
		a->used += n;
		return p;
	}
	x = malloc(sizeof(*x) + n);
	if (!x) {
		a->oom = true;
		return NULL;
	}
	x->next = a->extra;
	a->extra = x;
	a->extra_bytes += n;
	return x->data;
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* Drop everything; grow the first block when the last packet needed more. */
static void arena_reset(struct arena *a)
{
	size_t want = a->used + a->extra_bytes;

	while (a->extra) {
		struct arena_extra *x = a->extra;

		a->extra = x->next;
		free(x);
	}
	if (a->extra_bytes && want <= (64u << 20)) {
		size_t cap = a->cap ? a->cap : 65536;
		char *nb;

		while (cap < want)
			cap *= 2;
		nb = malloc(cap);
		if (nb) {
			free(a->base);
			a->base = nb;
			a->cap = cap;
		}
	}
	a->extra_bytes = 0;
	a->used = 0;
}

/* --- text ---------------------------------------------------------------------- */

static bool sb_grow(struct sbuf *sb, size_t more)
{
	size_t cap;
	char *s;

	if (sb->oom)
		return false;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + more + 1)
		cap *= 2;
	s = realloc(sb->s, cap);
	if (!s) {
		sb->oom = true;
		return false;
	}
	sb->s = s;
	sb->cap = cap;
	return true;
}

static void sb_put(struct sbuf *sb, const char *s, size_t n)
{
	if (!sb_grow(sb, n))
		return;
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_put(sb, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Decimal digits of @v, without sprintf (the per-event path). */
static void sb_u64(struct sbuf *sb, uint64_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *q = e;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_put(sb, q, (size_t)(e - q));
}

static void sb_i64(struct sbuf *sb, int64_t v)
{
	if (v < 0) {
		sb_put(sb, "-", 1);
		sb_u64(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		sb_u64(sb, (uint64_t)v);
	}
}

static void sb_hex(struct sbuf *sb, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24], *e = tmp + sizeof(tmp), *q = e;

	do {
		*--q = digits[v & 15];
		v >>= 4;
	} while (v);
	*--q = 'x';
	*--q = '0';
	sb_put(sb, q, (size_t)(e - q));
}

static void sb_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb_grow(sb, 0))
		sb->s[0] = '\0';
}

static void sb_key(struct sbuf *sb, const char *key)
{
	if (sb->len)
		sb_put(sb, " ", 1);
	sb_put(sb, key, strlen(key));
	sb_put(sb, "=", 1);
}

static bool needs_quotes(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return true;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f)
			return true;
	}
	return false;
}

/* Strings go out bare, or quoted with C escapes when empty or holding blanks/quotes/controls. */
static void sb_str(struct sbuf *sb, const char *s, size_t n)
{
	size_t i;

	if (!needs_quotes(s, n)) {
		sb_put(sb, s, n);
		return;
	}
	sb_put(sb, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			sb_put(sb, esc, 2);
		} else if (c == '\n') {
			sb_put(sb, "\\n", 2);
		} else if (c == '\t') {
			sb_put(sb, "\\t", 2);
		} else if (c < ' ' || c == 0x7f) {
			sb_printf(sb, "\\x%02x", c);
		} else {
			sb_put(sb, (const char *)&s[i], 1);
		}
	}
	sb_put(sb, "\"", 1);
}

static void kv_str(struct sbuf *sb, const char *key, const char *s)
{
	sb_key(sb, key);
	sb_str(sb, s ? s : "", s ? strlen(s) : 0);
}

static void kv_int(struct sbuf *sb, const char *key, int64_t v)
{
	sb_key(sb, key);
	sb_i64(sb, v);
}

static void kv_hex(struct sbuf *sb, const char *key, uint64_t v)
{
	sb_key(sb, key);
	sb_hex(sb, v);
}

/* --- payload formatting by descriptor ------------------------------------------ */

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) != 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(const void *const *)(base + f->offset) != NULL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
	return true;
}

/* Integer value of element @i of a scalar field at @p; false for non-integers. */
static bool scalar_value(ProtobufCType type, const void *p, size_t i, bool *is_signed, uint64_t *u)
{
	*is_signed = false;
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		*is_signed = true;
		*u = (uint64_t)(int64_t)((const int32_t *)p)[i];
		return true;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*is_signed = true;
		*u = (uint64_t)((const int64_t *)p)[i];
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*u = ((const uint32_t *)p)[i];
		return true;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*u = ((const uint64_t *)p)[i];
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		*u = ((const protobuf_c_boolean *)p)[i] != 0;
		return true;
	default:
		return false;
	}
}

/* Flags and states read better in hex, as the kernel prints them. */
static bool hex_field(const char *name)
{
	if (name[0] != 'p' && name[0] != 'c')
		return false;
	return !strcmp(name, "prev_state") || !strcmp(name, "clone_flags");
}

/* "name=value ..." for every present field of @m, in field number order. */
static void format_fields(struct sbuf *sb, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = base + f->offset;
		bool sgn;
		uint64_t u;

		if (!field_present(m, f))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			/* sys_enter args: args=0x1,0x2 */
			size_t n = *(const size_t *)(base + f->quantifier_offset), j;
			const void *arr = *(const void *const *)p;

			sb_key(sb, f->name);
			for (j = 0; j < n; j++) {
				if (j)
					sb_put(sb, ",", 1);
				if (f->type == PROTOBUF_C_TYPE_STRING)
					sb_str(sb, ((char *const *)arr)[j],
					       strlen(((char *const *)arr)[j]));
				else if (scalar_value(f->type, arr, j, &sgn, &u))
					sb_hex(sb, u);
			}
			continue;
		}
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			kv_str(sb, f->name, *(char *const *)p);
		} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
			sb_key(sb, f->name);
			sb_printf(sb, "<%zu bytes>", ((const ProtobufCBinaryData *)p)->len);
		} else if (scalar_value(f->type, p, 0, &sgn, &u)) {
			if (hex_field(f->name))
				kv_hex(sb, f->name, u);
			else if (sgn)
				kv_int(sb, f->name, (int64_t)u);
			else {
				sb_key(sb, f->name);
				sb_u64(sb, u);
			}
		}
	}
}

static void format_generic(struct sbuf *sb, const Perfetto__Protos__GenericFtraceEvent *g)
{
	size_t i;

	for (i = 0; i < g->n_field; i++) {
		const Perfetto__Protos__GenericFtraceEvent__Field *f = g->field[i];
		const char *name = f->name ? f->name : "?";

		switch (f->value_case) {
		case PERFETTO__PROTOS__GENERIC_FTRACE_EVENT__FIELD__VALUE_STR_VALUE:
			kv_str(sb, name, f->str_value);
			break;
		case PERFETTO__PROTOS__GENERIC_FTRACE_EVENT__FIELD__VALUE_INT_VALUE:
			kv_int(sb, name, f->int_value);
			break;
		case PERFETTO__PROTOS__GENERIC_FTRACE_EVENT__FIELD__VALUE_UINT_VALUE:
			sb_key(sb, name);
			sb_u64(sb, f->uint_value);
			break;
		default:
			sb_key(sb, name);
			break;
		}
	}
}

/* --- per-cpu running task -------------------------------------------------------- */

static struct cpu_state *cpu_state(struct rd *r, uint32_t cpu)
{
	struct cpu_state *c;
	size_t n;

	if (cpu >= PRD_MAX_CPUS)
		return NULL;
	if (cpu >= r->ncpus) {
		n = r->ncpus ? r->ncpus : 64;
		while (n <= cpu)
			n *= 2;
		c = realloc(r->cpus, n * sizeof(*c));
		if (!c)
			return NULL;
		memset(c + r->ncpus, 0, (n - r->ncpus) * sizeof(*c));
		r->cpus = c;
		r->ncpus = n;
	}
	return &r->cpus[cpu];
}

static void cpu_switch_to(struct rd *r, uint32_t cpu, int32_t pid, int32_t prio, const char *comm)
{
	struct cpu_state *c = cpu_state(r, cpu);

	if (!c)
		return;
	c->known = true;
	c->pid = pid;
	c->prio = prio;
	snprintf(c->comm, sizeof(c->comm), "%s", comm ? comm : "");
}

/* --- kernel events ------------------------------------------------------------------- */

static void set_hint(struct prd_event *e, int i, int32_t tid, const char *comm)
{
	e->comm_tid[i] = tid;
	e->comm[i] = comm;
}

static int deliver(struct rd *r, struct prd_event *e)
{
	if (r->sb.oom)
		return -ENOMEM;
	e->args = r->sb.s;
	r->st.events++;
	if (r->cb->event)
		r->cb->event(r->ctx, e);
	return 0;
}

static int do_event(struct rd *r, uint32_t cpu, const FtraceEvent *ev)
{
	const ProtobufCFieldDescriptor *f;
	const ProtobufCMessage *pl;
	struct prd_event e;

	memset(&e, 0, sizeof(e));
	e.ts = ev->timestamp;
	e.cpu = cpu;
	e.pid = ev->pid;
	e.syscall_id = -1;
	sb_reset(&r->sb);

	if (ev->event_case == PERFETTO__PROTOS__FTRACE_EVENT__EVENT__NOT_SET) {
		/* a payload this schema does not know: keep the event, nameless */
		e.name = "unknown";
		return deliver(r, &e);
	}
	f = protobuf_c_message_descriptor_get_field(&perfetto__protos__ftrace_event__descriptor,
						    (unsigned)ev->event_case);
	if (!f)
		return -EBADMSG;
	pl = *(const ProtobufCMessage *const *)((const char *)ev + f->offset);
	e.name = f->name;

	switch (ev->event_case) {
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_GENERIC:
		if (ev->generic->event_name)
			e.name = ev->generic->event_name;
		format_generic(&r->sb, ev->generic);
		return deliver(r, &e);
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_SWITCH: {
		const Perfetto__Protos__SchedSwitchFtraceEvent *s = ev->sched_switch;

		set_hint(&e, 0, s->prev_pid, s->prev_comm);
		set_hint(&e, 1, s->next_pid, s->next_comm);
		cpu_switch_to(r, cpu, s->next_pid, s->next_prio, s->next_comm);
		break;
	}
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_NEWTASK:
		set_hint(&e, 0, ev->task_newtask->pid, ev->task_newtask->comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_RENAME:
		set_hint(&e, 0, ev->task_rename->pid, ev->task_rename->newcomm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKING:
		set_hint(&e, 0, ev->sched_waking->pid, ev->sched_waking->comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKEUP:
		set_hint(&e, 0, ev->sched_wakeup->pid, ev->sched_wakeup->comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKEUP_NEW:
		set_hint(&e, 0, ev->sched_wakeup_new->pid, ev->sched_wakeup_new->comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_EXIT:
		set_hint(&e, 0, ev->sched_process_exit->pid, ev->sched_process_exit->comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_FREE:
		set_hint(&e, 0, ev->sched_process_free->pid, ev->sched_process_free->comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_FORK:
		set_hint(&e, 0, ev->sched_process_fork->child_pid,
			 ev->sched_process_fork->child_comm);
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SYS_ENTER:
		e.syscall_id = ev->sys_enter->id;
		break;
	case PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SYS_EXIT:
		e.syscall_id = ev->sys_exit->id;
		break;
	default:
		break;
	}
	/* a hint without a name tells nothing */
	if (!e.comm[0])
		e.comm_tid[0] = 0;
	if (!e.comm[1])
		e.comm_tid[1] = 0;
	format_fields(&r->sb, pl);
	return deliver(r, &e);
}

static const char *intern(const CompactSched *cs, uint32_t idx)
{
	return idx < cs->n_intern_table ? cs->intern_table[idx] : "";
}

/*
 * CompactSched: switch_* and waking_* are parallel arrays, timestamps
 * delta-encoded from 0 (each array on its own).  prev_* of a switch is the
 * next_* of the previous switch on the cpu, when known.  The two kinds are
 * merged back in time order so that a waking's common pid (the task running on
 * the cpu) is known too.
 */
static int do_compact_sched(struct rd *r, uint32_t cpu, const CompactSched *cs)
{
	size_t ns = cs->n_switch_timestamp, nw = cs->n_waking_timestamp, i = 0, j = 0;
	uint64_t sts = 0, wts = 0;
	struct prd_event e;
	int ret;

	if (cs->n_switch_prev_state != ns || cs->n_switch_next_pid != ns ||
	    cs->n_switch_next_prio != ns || cs->n_switch_next_comm_index != ns ||
	    cs->n_waking_pid != nw || cs->n_waking_target_cpu != nw || cs->n_waking_prio != nw ||
	    cs->n_waking_comm_index != nw ||
	    (cs->n_waking_common_flags && cs->n_waking_common_flags != nw))
		return -EBADMSG;
	if (ns)
		sts = cs->switch_timestamp[0];
	if (nw)
		wts = cs->waking_timestamp[0];

	while (i < ns || j < nw) {
		struct cpu_state *c = cpu_state(r, cpu);
		bool known = c && c->known;

		memset(&e, 0, sizeof(e));
		e.cpu = cpu;
		e.syscall_id = -1;
		e.pid = known ? (uint32_t)c->pid : 0;
		sb_reset(&r->sb);
		if (i < ns && (j >= nw || sts <= wts)) {
			const char *next_comm = intern(cs, cs->switch_next_comm_index[i]);
			char prev_comm[PRD_COMM_MAX];

			e.ts = sts;
			e.name = "sched_switch";
			if (known) {
				memcpy(prev_comm, c->comm, sizeof(prev_comm));
				kv_str(&r->sb, "prev_comm", prev_comm);
				kv_int(&r->sb, "prev_pid", c->pid);
				kv_int(&r->sb, "prev_prio", c->prio);
				set_hint(&e, 0, c->pid, prev_comm);
			}
			kv_hex(&r->sb, "prev_state", (uint64_t)cs->switch_prev_state[i]);
			kv_str(&r->sb, "next_comm", next_comm);
			kv_int(&r->sb, "next_pid", cs->switch_next_pid[i]);
			kv_int(&r->sb, "next_prio", cs->switch_next_prio[i]);
			set_hint(&e, 1, cs->switch_next_pid[i], next_comm);
			cpu_switch_to(r, cpu, cs->switch_next_pid[i], cs->switch_next_prio[i],
				      next_comm);
			ret = deliver(r, &e);
			if (++i < ns)
				sts += cs->switch_timestamp[i];
		} else {
			const char *comm = intern(cs, cs->waking_comm_index[j]);

			e.ts = wts;
			e.name = "sched_waking";
			kv_str(&r->sb, "comm", comm);
			kv_int(&r->sb, "pid", cs->waking_pid[j]);
			kv_int(&r->sb, "prio", cs->waking_prio[j]);
			kv_int(&r->sb, "target_cpu", cs->waking_target_cpu[j]);
			set_hint(&e, 0, cs->waking_pid[j], comm);
			ret = deliver(r, &e);
			if (++j < nw)
				wts += cs->waking_timestamp[j];
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int do_bundle(struct rd *r, const Bundle *b)
{
	uint32_t cpu = b->has_cpu ? b->cpu : 0;
	size_t i;
	int ret;

	if (b->has_lost_events && b->lost_events && r->cb->lost) {
		uint64_t ts = 0;

		if (b->n_event)
			ts = b->event[0]->timestamp;
		else if (b->compact_sched && b->compact_sched->n_switch_timestamp)
			ts = b->compact_sched->switch_timestamp[0];
		r->cb->lost(r->ctx, cpu, ts);
	}
	for (i = 0; i < b->n_event; i++) {
		ret = do_event(r, cpu, b->event[i]);
		if (ret < 0)
			return ret;
	}
	if (b->compact_sched)
		return do_compact_sched(r, cpu, b->compact_sched);
	return 0;
}

/* --- other packets ------------------------------------------------------------------- */

static int do_process_tree(struct rd *r, uint64_t ts, const Perfetto__Protos__ProcessTree *t)
{
	struct sbuf *sb = &r->sb;
	size_t i, j;

	for (i = 0; i < t->n_processes && r->cb->process; i++) {
		const Perfetto__Protos__ProcessTree__Process *p = t->processes[i];
		struct prd_process pp = {
			.pid = p->pid,
			.ppid = p->ppid,
			.uid = p->uid,
			.is_kthread = p->has_is_kthread && p->is_kthread,
		};

		sb_reset(sb);
		for (j = 0; j < p->n_cmdline; j++) {
			if (j)
				sb_put(sb, " ", 1);
			sb_put(sb, p->cmdline[j], strlen(p->cmdline[j]));
		}
		if (sb->oom)
			return -ENOMEM;
		pp.cmdline = sb->s;
		r->cb->process(r->ctx, ts, &pp);
	}
	for (i = 0; i < t->n_threads && r->cb->thread; i++) {
		const Perfetto__Protos__ProcessTree__Thread *th = t->threads[i];
		struct prd_thread pt = {
			.tid = th->tid,
			.tgid = th->tgid,
			.name = th->name ? th->name : "",
		};

		r->cb->thread(r->ctx, ts, &pt);
	}
	return 0;
}

static int do_clock_snapshot(struct rd *r, const Perfetto__Protos__ClockSnapshot *cs)
{
	struct prd_clock *c;
	size_t i;

	if (!r->cb->clock_snapshot)
		return 0;
	c = calloc(cs->n_clocks ? cs->n_clocks : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < cs->n_clocks; i++) {
		c[i].clock_id = cs->clocks[i]->clock_id;
		c[i].ts = cs->clocks[i]->timestamp;
	}
	r->cb->clock_snapshot(r->ctx, c, cs->n_clocks);
	free(c);
	return 0;
}

static void do_system_info(struct rd *r, const Perfetto__Protos__SystemInfo *si)
{
	struct prd_sysinfo s = {
		.page_size = si->page_size,
		.num_cpus = si->num_cpus,
	};

	if (!r->cb->system_info)
		return;
	if (si->utsname) {
		s.sysname = si->utsname->sysname;
		s.release = si->utsname->release;
		s.version = si->utsname->version;
		s.machine = si->utsname->machine;
	}
	r->cb->system_info(r->ctx, &s);
}

/* --- interned data, per sequence ------------------------------------------------------ */
/*
 * As trace_processor keeps it (proto_trace_reader.cc, packet_sequence_state_generation.cc,
 * stack_profile_sequence_state.cc): a sequence starts invalid; a CLEARED packet
 * empties its tables and its defaults and makes it valid; previous_packet_dropped
 * (without CLEARED) empties the tables and makes it invalid, defaults kept;
 * trace_packet_defaults replace the defaults in any state; interned data that
 * arrives while invalid is dropped; an iid defined twice keeps its first entry.
 * Stacks are resolved when a sample uses them, so entries may come in any
 * earlier or the same packet.
 */

enum {
	RI_FUNC,
	RI_PATH,
	RI_BUILD_ID,
	RI_SOURCE,
	RI_MAPPING,
	RI_FRAME,
	RI_STACK,
	RI_EVENT_NAME,
	RI_ARG_NAME,
	RI_NUM
};

struct r_mapping {
	uint64_t build_id;
	size_t npaths;
	uint64_t *paths;
	char *name; /* made at first use and kept, as trace_processor caches it */
};

struct r_frame {
	uint64_t function, mapping, rel_pc, source;
	uint32_t line, kind;
	bool has_source;
};

struct r_stack {
	size_t n;
	uint64_t ids[];
};

struct rseq {
	bool valid;
	char *timebase; /* from the defaults; NULL: none */
	struct imap tab[RI_NUM];
};

static size_t imap_index(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 29) & mask;
}

static void *imap_get(const struct imap *m, uint64_t key)
{
	size_t i;

	if (!m->count || !key)
		return NULL;
	for (i = imap_index(key, m->mask);; i = (i + 1) & m->mask) {
		if (!m->slots[i].key)
			return NULL;
		if (m->slots[i].key == key)
			return m->slots[i].val;
	}
}

/* 1: @val stored; 0: @key was already there (kept, @val not taken); -ENOMEM. */
static int imap_put(struct imap *m, uint64_t key, void *val)
{
	size_t i;

	if (!m->slots || (m->count + 1) * 2 > m->mask + 1) {
		size_t n = m->slots ? (m->mask + 1) * 2 : 64, j;
		struct imap_slot *v = calloc(n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (i = 0; m->slots && i <= m->mask; i++) {
			if (!m->slots[i].key)
				continue;
			for (j = imap_index(m->slots[i].key, n - 1); v[j].key;
			     j = (j + 1) & (n - 1))
				;
			v[j] = m->slots[i];
		}
		free(m->slots);
		m->slots = v;
		m->mask = n - 1;
	}
	for (i = imap_index(key, m->mask); m->slots[i].key; i = (i + 1) & m->mask) {
		if (m->slots[i].key == key)
			return 0;
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->count++;
	return 1;
}

static void free_val(int kind, void *val)
{
	if (kind == RI_MAPPING && val) {
		struct r_mapping *mp = val;

		free(mp->paths);
		free(mp->name);
	}
	free(val);
}

static void imap_clear(struct imap *m, int kind)
{
	size_t i;

	for (i = 0; m->count && i <= m->mask; i++) {
		if (m->slots[i].key)
			free_val(kind, m->slots[i].val);
	}
	if (m->slots)
		memset(m->slots, 0, (m->mask + 1) * sizeof(*m->slots));
	m->count = 0;
}

static void seq_clear(struct rseq *q)
{
	int t;

	for (t = 0; t < RI_NUM; t++)
		imap_clear(&q->tab[t], t);
}

static void seq_free(struct rseq *q)
{
	int t;

	seq_clear(q);
	for (t = 0; t < RI_NUM; t++)
		free(q->tab[t].slots);
	free(q->timebase);
	free(q);
}

static void seqs_free(struct rd *r)
{
	size_t i;

	for (i = 0; r->seqs.count && i <= r->seqs.mask; i++) {
		if (r->seqs.slots[i].key)
			seq_free(r->seqs.slots[i].val);
	}
	free(r->seqs.slots);
}

static struct rseq *seq_get(struct rd *r, uint32_t id)
{
	struct rseq *q = imap_get(&r->seqs, id);

	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	if (imap_put(&r->seqs, id, q) < 0) {
		free(q);
		return NULL;
	}
	return q;
}

/* Takes @val into table @kind of @q (dropped when the iid is taken or 0). */
static int put_val(struct rseq *q, int kind, uint64_t iid, void *val)
{
	int ret;

	if (!val)
		return -ENOMEM;
	ret = iid ? imap_put(&q->tab[kind], iid, val) : 0;
	if (ret <= 0)
		free_val(kind, val);
	return ret < 0 ? ret : 0;
}

static int intern_strings(struct rseq *q, int kind, Perfetto__Protos__InternedString *const *v,
			  size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		const ProtobufCBinaryData *b = &v[i]->str;
		char *str = malloc(b->len + 1);

		if (str) {
			if (b->len)
				memcpy(str, b->data, b->len);
			str[b->len] = '\0';
		}
		ret = put_val(q, kind, v[i]->has_iid ? v[i]->iid : 0, str);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int intern_data(struct rseq *q, const Perfetto__Protos__InternedData *id)
{
	size_t i;
	int ret;

	if ((ret = intern_strings(q, RI_FUNC, id->function_names, id->n_function_names)) < 0 ||
	    (ret = intern_strings(q, RI_PATH, id->mapping_paths, id->n_mapping_paths)) < 0 ||
	    (ret = intern_strings(q, RI_BUILD_ID, id->build_ids, id->n_build_ids)) < 0 ||
	    (ret = intern_strings(q, RI_SOURCE, id->source_paths, id->n_source_paths)) < 0)
		return ret;
	for (i = 0; i < id->n_mappings; i++) {
		const Perfetto__Protos__Mapping *m = id->mappings[i];
		struct r_mapping *v = calloc(1, sizeof(*v));

		if (v && m->n_path_string_ids) {
			v->paths = malloc(m->n_path_string_ids * sizeof(*v->paths));
			if (!v->paths) {
				free(v);
				v = NULL;
			} else {
				memcpy(v->paths, m->path_string_ids,
				       m->n_path_string_ids * sizeof(*v->paths));
				v->npaths = m->n_path_string_ids;
			}
		}
		if (v)
			v->build_id = m->build_id;
		ret = put_val(q, RI_MAPPING, m->has_iid ? m->iid : 0, v);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < id->n_frames; i++) {
		const Perfetto__Protos__Frame *f = id->frames[i];
		struct r_frame *v = calloc(1, sizeof(*v));

		if (v) {
			v->function = f->function_name_id;
			v->mapping = f->mapping_id;
			v->rel_pc = f->rel_pc;
			v->has_source = f->has_source_path_iid;
			v->source = f->source_path_iid;
			v->line = f->line_number;
			if (f->kind_field_case == PERFETTO__PROTOS__FRAME__KIND_FIELD_KIND)
				v->kind = (uint32_t)f->kind;
		}
		ret = put_val(q, RI_FRAME, f->has_iid ? f->iid : 0, v);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < id->n_event_names; i++) {
		const Perfetto__Protos__EventName *e = id->event_names[i];

		ret = put_val(q, RI_EVENT_NAME, e->has_iid ? e->iid : 0,
			      strdup(e->name ? e->name : ""));
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < id->n_debug_annotation_names; i++) {
		const Perfetto__Protos__DebugAnnotationName *e = id->debug_annotation_names[i];

		ret = put_val(q, RI_ARG_NAME, e->has_iid ? e->iid : 0,
			      strdup(e->name ? e->name : ""));
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < id->n_callstacks; i++) {
		const Perfetto__Protos__Callstack *c = id->callstacks[i];
		struct r_stack *v = malloc(sizeof(*v) + c->n_frame_ids * sizeof(v->ids[0]));

		if (v) {
			v->n = c->n_frame_ids;
			if (v->n)
				memcpy(v->ids, c->frame_ids, v->n * sizeof(v->ids[0]));
		}
		ret = put_val(q, RI_STACK, c->has_iid ? c->iid : 0, v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* perf's names for PerfEvents.Counter, as trace_processor names the timebase track */
static const char *counter_name(int c)
{
	static const char *const names[] = {
		[1] = "cpu-clock",
		[2] = "page-faults",
		[3] = "task-clock",
		[4] = "context-switches",
		[5] = "cpu-migrations",
		[6] = "minor-faults",
		[7] = "major-faults",
		[8] = "alignment-faults",
		[9] = "emulation-faults",
		[10] = "cpu-cycles",
		[11] = "instructions",
		[12] = "cache-references",
		[13] = "cache-misses",
		[14] = "branch-instructions",
		[15] = "branch-misses",
		[16] = "bus-cycles",
		[17] = "stalled-cycles-frontend",
		[18] = "stalled-cycles-backend",
		[19] = "ref-cycles",
		[20] = "dummy",
	};

	if (c > 0 && (size_t)c < sizeof(names) / sizeof(names[0]) && names[c])
		return names[c];
	return "unknown";
}

static int set_defaults(struct rseq *q, const Perfetto__Protos__TracePacketDefaults *d)
{
	const Perfetto__Protos__PerfEvents__Timebase *tb = NULL;
	const char *name = NULL;

	if (d->perf_sample_defaults)
		tb = d->perf_sample_defaults->timebase;
	if (tb && tb->name && tb->name[0])
		name = tb->name;
	else if (tb && tb->event_case == PERFETTO__PROTOS__PERF_EVENTS__TIMEBASE__EVENT_COUNTER)
		name = counter_name((int)tb->counter);
	else if (tb &&
		 tb->event_case == PERFETTO__PROTOS__PERF_EVENTS__TIMEBASE__EVENT_TRACEPOINT &&
		 tb->tracepoint && tb->tracepoint->name)
		name = tb->tracepoint->name;
	free(q->timebase);
	q->timebase = NULL;
	if (name && !(q->timebase = strdup(name)))
		return -ENOMEM;
	return 0;
}

/* The sequence-scoped fields of @pk, in trace_processor's order; *@out: the sequence or NULL. */
static int do_sequence(struct rd *r, const Packet *pk, struct rseq **out)
{
	uint32_t id = pk->has_trusted_packet_sequence_id ? pk->trusted_packet_sequence_id : 0;
	uint32_t flags = pk->has_sequence_flags ? pk->sequence_flags : 0;
	bool cleared =
		(flags & 1) || (pk->has_incremental_state_cleared && pk->incremental_state_cleared);
	bool dropped = pk->has_previous_packet_dropped && pk->previous_packet_dropped;
	struct rseq *q;
	int ret;

	*out = NULL;
	if (!id)
		return 0;
	if (!cleared && !dropped && !pk->trace_packet_defaults && !pk->interned_data &&
	    pk->data_case != PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE &&
	    pk->data_case != PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT)
		return 0;
	q = seq_get(r, id);
	if (!q)
		return -ENOMEM;
	if (cleared) {
		seq_clear(q);
		q->valid = true;
		free(q->timebase);
		q->timebase = NULL;
	} else if (dropped) {
		seq_clear(q);
		q->valid = false;
	}
	if (pk->trace_packet_defaults) {
		ret = set_defaults(q, pk->trace_packet_defaults);
		if (ret < 0)
			return ret;
	}
	if (pk->interned_data && q->valid) {
		ret = intern_data(q, pk->interned_data);
		if (ret < 0)
			return ret;
	}
	*out = q;
	return 0;
}

/* "/" + each path component; a single full path does not get "//" (as upstream). */
static int mapping_name(const struct rseq *q, struct r_mapping *m)
{
	size_t i, len = 0, np;
	char *name, *p;

	if (m->build_id && !imap_get(&q->tab[RI_BUILD_ID], m->build_id))
		return 0;
	/* a missing path component only ends the path */
	for (np = 0; np < m->npaths; np++) {
		const char *c = imap_get(&q->tab[RI_PATH], m->paths[np]);

		if (!c)
			break;
		len += 1 + strlen(c);
	}
	name = p = malloc(len + 1);
	if (!name)
		return -ENOMEM;
	for (i = 0; i < np; i++) {
		const char *c = imap_get(&q->tab[RI_PATH], m->paths[i]);
		size_t n = strlen(c);

		*p++ = '/';
		memcpy(p, c, n);
		p += n;
	}
	*p = '\0';
	if (name[0] == '/' && name[1] == '/')
		memmove(name, name + 1, len);
	m->name = name;
	return 1;
}

/* 1: the stack of @iid is in r->frames; 0: a reference does not resolve; -ENOMEM. */
static int resolve_stack(struct rd *r, const struct rseq *q, uint64_t iid, unsigned *nframes)
{
	const struct r_stack *st = imap_get(&q->tab[RI_STACK], iid);
	size_t i;
	int ret;

	if (!st || !st->n || (uint64_t)st->n > UINT32_MAX)
		return 0; /* trace_processor: invalid or empty callstack */
	if (st->n > r->frames_cap) {
		struct prd_frame *f = realloc(r->frames, st->n * sizeof(*f));

		if (!f)
			return -ENOMEM;
		r->frames = f;
		r->frames_cap = st->n;
	}
	for (i = 0; i < st->n; i++) {
		const struct r_frame *fr = imap_get(&q->tab[RI_FRAME], st->ids[i]);
		struct prd_frame *o = &r->frames[i];

		if (!fr)
			return 0;
		o->function = "";
		if (fr->function && !(o->function = imap_get(&q->tab[RI_FUNC], fr->function)))
			return 0;
		o->source_file = "";
		if (fr->has_source && !(o->source_file = imap_get(&q->tab[RI_SOURCE], fr->source)))
			return 0;
		o->mapping = "";
		if (fr->mapping) {
			struct r_mapping *m = imap_get(&q->tab[RI_MAPPING], fr->mapping);

			if (!m)
				return 0;
			if (!m->name && (ret = mapping_name(q, m)) <= 0)
				return ret;
			o->mapping = m->name;
		}
		o->kind = fr->kind;
		o->rel_pc = fr->rel_pc;
		o->line = fr->line;
	}
	*nframes = (unsigned)st->n;
	return 1;
}

static int do_perf_sample(struct rd *r, const Packet *pk, const struct rseq *q)
{
	const Perfetto__Protos__PerfSample *ps = pk->perf_sample;
	struct prd_sample s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.ts = pk->has_timestamp ? pk->timestamp : 0;
	s.seq_id = pk->has_trusted_packet_sequence_id ? pk->trusted_packet_sequence_id : 0;
	s.cpu = ps->cpu;
	s.pid = ps->pid;
	s.tid = ps->tid;
	s.timebase = q && q->timebase ? q->timebase : "cpu-clock";
	s.cpu_mode = ps->has_cpu_mode ? (uint32_t)ps->cpu_mode : 0;
	if (ps->optional_unwind_error_case ==
	    PERFETTO__PROTOS__PERF_SAMPLE__OPTIONAL_UNWIND_ERROR_UNWIND_ERROR)
		s.unwind_error = (uint32_t)ps->unwind_error;
	s.timebase_count = ps->has_timebase_count ? ps->timebase_count : 0;
	s.lost = ps->has_kernel_records_lost ? ps->kernel_records_lost : 0;
	s.callstack_iid = ps->has_callstack_iid ? ps->callstack_iid : 0;
	if (!s.lost && s.callstack_iid && q && q->valid) {
		ret = resolve_stack(r, q, s.callstack_iid, &s.nframes);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			s.stack_resolved = 1;
			s.frames = r->frames;
		}
	}
	r->cb->sample(r->ctx, &s);
	return 0;
}

size_t prd_sample__fold(const struct prd_sample *s, char *buf, size_t size)
{
	size_t len = 0, n, k;
	unsigned i;

	for (i = 0; s && s->stack_resolved && i < s->nframes; i++) {
		const char *name = s->frames[i].function[0] ? s->frames[i].function : "[unknown]";

		if (i) {
			if (len + 1 < size)
				buf[len] = ';';
			len++;
		}
		n = strlen(name);
		if (len < size) {
			k = size - 1 - len < n ? size - 1 - len : n;
			memcpy(buf + len, name, k);
		}
		len += n;
	}
	if (size)
		buf[len < size ? len : size - 1] = '\0';
	return len;
}

/* --- tracks and track events ------------------------------------------------------- */

struct r_open {
	uint64_t ts;
	char *name;
};

struct r_track {
	struct prd_track t;
	char *name;
	struct r_open *open; /* the track's open slices, outermost first */
	size_t nopen, capopen;
};

static void track_free(struct r_track *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nopen; i++)
		free(t->open[i].name);
	free(t->open);
	free(t->name);
	free(t);
}

static void tracks_free(struct rd *r)
{
	size_t i;

	for (i = 0; r->tracks.count && i <= r->tracks.mask; i++) {
		if (r->tracks.slots[i].key)
			track_free(r->tracks.slots[i].val);
	}
	free(r->tracks.slots);
}

/* A descriptor seen again (allowed upstream) updates the track; its open slices stay. */
static int do_track_descriptor(struct rd *r, const Perfetto__Protos__TrackDescriptor *d)
{
	struct r_track *t;
	const char *name = "";
	char *dup;
	int ret;

	if (!d->has_uuid || !d->uuid)
		return 0;
	if (d->static_or_dynamic_name_case ==
		    PERFETTO__PROTOS__TRACK_DESCRIPTOR__STATIC_OR_DYNAMIC_NAME_NAME &&
	    d->name)
		name = d->name;
	else if (d->static_or_dynamic_name_case ==
			 PERFETTO__PROTOS__TRACK_DESCRIPTOR__STATIC_OR_DYNAMIC_NAME_STATIC_NAME &&
		 d->static_name)
		name = d->static_name;
	dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	t = imap_get(&r->tracks, d->uuid);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || (ret = imap_put(&r->tracks, d->uuid, t)) < 0) {
			free(t);
			free(dup);
			return -ENOMEM;
		}
	}
	free(t->name);
	t->name = dup;
	memset(&t->t, 0, sizeof(t->t));
	t->t.uuid = d->uuid;
	t->t.parent_uuid = d->has_parent_uuid ? d->parent_uuid : 0;
	t->t.name = t->name;
	if (d->thread) {
		t->t.kind = PRD_TRACK_THREAD;
		t->t.pid = d->thread->pid;
		t->t.tid = (int32_t)d->thread->tid;
	} else if (d->process) {
		t->t.kind = PRD_TRACK_PROCESS;
		t->t.pid = d->process->pid;
	} else {
		t->t.kind = d->counter ? PRD_TRACK_COUNTER : PRD_TRACK_OTHER;
	}
	return 0;
}

/* A named or counter track takes the pid of its process parent (known by now or not). */
static const struct prd_track *track_view(struct rd *r, struct r_track *t)
{
	const struct r_track *pa;

	if (t->t.kind == PRD_TRACK_THREAD || t->t.kind == PRD_TRACK_PROCESS || !t->t.parent_uuid)
		return &t->t;
	pa = imap_get(&r->tracks, t->t.parent_uuid);
	if (pa && pa->t.kind == PRD_TRACK_PROCESS) {
		t->t.pid = pa->t.pid;
		if (t->t.kind == PRD_TRACK_OTHER)
			t->t.kind = PRD_TRACK_NAMED;
	}
	return &t->t;
}

static const char *iid_str(const struct rseq *q, int kind, uint64_t iid)
{
	return q && q->valid ? imap_get(&q->tab[kind], iid) : NULL;
}

static int track_args(struct rd *r, const Perfetto__Protos__TrackEvent *te, const struct rseq *q)
{
	size_t i;

	if (te->n_debug_annotations > r->args_cap) {
		struct prd_arg *a = realloc(r->args, te->n_debug_annotations * sizeof(*a));

		if (!a)
			return -ENOMEM;
		r->args = a;
		r->args_cap = te->n_debug_annotations;
	}
	for (i = 0; i < te->n_debug_annotations; i++) {
		const Perfetto__Protos__DebugAnnotation *da = te->debug_annotations[i];
		struct prd_arg *a = &r->args[i];
		const char *n = NULL;

		memset(a, 0, sizeof(*a));
		if (da->name_field_case == PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME_IID)
			n = iid_str(q, RI_ARG_NAME, da->name_iid);
		else if (da->name_field_case == PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME)
			n = da->name;
		a->name = n ? n : "";
		a->s = "";
		switch (da->value_case) {
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_INT_VALUE:
			a->kind = 0;
			a->i = da->int_value;
			break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE:
			a->kind = 1;
			a->u = da->uint_value;
			break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_DOUBLE_VALUE:
			a->kind = 2;
			a->d = da->double_value;
			break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE:
			a->kind = 3;
			a->s = da->string_value ? da->string_value : "";
			break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_BOOL_VALUE:
			a->kind = 4;
			a->b = da->bool_value != 0;
			break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_POINTER_VALUE:
			a->kind = 5;
			a->u = da->pointer_value;
			break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_LEGACY_JSON_VALUE:
			a->kind = 3;
			a->s = da->legacy_json_value ? da->legacy_json_value : "";
			break;
		default:
			a->kind = 6;
			break;
		}
	}
	return 0;
}

static int open_push(struct r_track *t, uint64_t ts, const char *name)
{
	char *dup = strdup(name);

	if (!dup)
		return -ENOMEM;
	if (t->nopen == t->capopen) {
		size_t n = t->capopen ? t->capopen * 2 : 8;
		struct r_open *o = realloc(t->open, n * sizeof(*o));

		if (!o) {
			free(dup);
			return -ENOMEM;
		}
		t->open = o;
		t->capopen = n;
	}
	t->open[t->nopen].ts = ts;
	t->open[t->nopen++].name = dup;
	return 0;
}

static int do_track_event(struct rd *r, const Packet *pk, const struct rseq *q)
{
	const Perfetto__Protos__TrackEvent *te = pk->track_event;
	struct prd_track_event e;
	struct r_track *t;
	char *closed = NULL;
	int ret;

	memset(&e, 0, sizeof(e));
	e.ts = pk->has_timestamp ? pk->timestamp : 0;
	e.seq_id = pk->has_trusted_packet_sequence_id ? pk->trusted_packet_sequence_id : 0;
	e.type = te->has_type ? (uint32_t)te->type : 0;
	e.track_uuid = te->has_track_uuid ? te->track_uuid : 0;
	e.name = "";
	e.name_resolved = 1;
	if (te->name_field_case == PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID) {
		const char *n = iid_str(q, RI_EVENT_NAME, te->name_iid);

		e.name = n ? n : "";
		e.name_resolved = n != NULL;
	} else if (te->name_field_case == PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME) {
		e.name = te->name ? te->name : "";
	}
	if (te->counter_value_field_case ==
	    PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_DOUBLE_COUNTER_VALUE)
		e.value = te->double_counter_value;
	else if (te->counter_value_field_case ==
		 PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE)
		e.value = (double)te->counter_value;
	ret = track_args(r, te, q);
	if (ret < 0)
		return ret;
	e.args = r->args;
	e.nargs = (unsigned)te->n_debug_annotations;

	t = e.track_uuid ? imap_get(&r->tracks, e.track_uuid) : NULL;
	if (t) {
		e.track = track_view(r, t);
		e.depth = (unsigned)t->nopen;
		if (e.type == PRD_SLICE_BEGIN) {
			ret = open_push(t, e.ts, e.name);
			if (ret < 0)
				return ret;
		} else if (e.type == PRD_SLICE_END && t->nopen) {
			closed = t->open[--t->nopen].name;
			e.matched = 1;
			e.begin_ts = t->open[t->nopen].ts;
			e.depth = (unsigned)t->nopen;
			if (!e.name[0])
				e.name = closed;
		}
	}
	r->cb->track_event(r->ctx, &e);
	free(closed);
	return 0;
}

/* A packet whose payload this schema does not know: its first message-like unknown field. */
static uint32_t unknown_kind(const Packet *pk)
{
	unsigned i;

	for (i = 0; i < pk->base.n_unknown_fields; i++) {
		if (pk->base.unknown_fields[i].wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
			return pk->base.unknown_fields[i].tag;
	}
	return 0;
}

static int do_packet(struct rd *r, const Packet *pk)
{
	uint64_t ts = pk->has_timestamp ? pk->timestamp : 0;
	struct rseq *q;
	uint32_t kind;
	int ret;

	r->st.packets++;
	ret = do_sequence(r, pk, &q);
	if (ret < 0)
		return ret;
	switch (pk->data_case) {
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_FTRACE_EVENTS:
		return do_bundle(r, pk->ftrace_events);
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE:
		return do_process_tree(r, ts, pk->process_tree);
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT:
		return do_clock_snapshot(r, pk->clock_snapshot);
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_SYSTEM_INFO:
		do_system_info(r, pk->system_info);
		return 0;
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE:
		if (r->cb->sample)
			return do_perf_sample(r, pk, q);
		kind = (uint32_t)pk->data_case;
		break;
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR:
		ret = do_track_descriptor(r, pk->track_descriptor);
		if (ret < 0)
			return ret;
		kind = (uint32_t)pk->data_case;
		break;
	case PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT:
		if (r->cb->track_event)
			return do_track_event(r, pk, q);
		kind = (uint32_t)pk->data_case;
		break;
	case PERFETTO__PROTOS__TRACE_PACKET__DATA__NOT_SET:
		kind = unknown_kind(pk);
		break;
	default:
		kind = (uint32_t)pk->data_case;
		break;
	}
	if (kind && r->cb->other)
		r->cb->other(r->ctx, kind);
	return 0;
}

/* --- framing ------------------------------------------------------------------------- */

/* Bytes used by the varint at @p (0: truncated or longer than 10 bytes). */
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

/* Pages of a mapped file already read are dropped every this many bytes: RSS stays flat. */
#define PRD_RELEASE_BYTES (32u << 20)

/* @mapped: buf is a private read-only file mapping whose read part may be dropped. */
static int read_buffer(const void *buf, size_t len, const struct prd_callbacks *cb, void *ctx,
		       struct prd_stats *stats, bool mapped)
{
	static const struct prd_callbacks none;
	ProtobufCAllocator alloc = {.alloc = arena_alloc, .free = arena_free};
	const uint8_t *p = buf, *end = p + len, *released = p;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct rd r;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	alloc.allocator_data = &r.ar;
	r.cb = cb ? cb : &none;
	r.ctx = ctx;
	while (p < end) {
		uint64_t key, n;
		size_t k = get_varint(p, end, &key);
		const uint8_t *q;

		if (mapped && (size_t)(p - released) >= PRD_RELEASE_BYTES) {
			/* nothing points into the mapping: unpacked packets are copies */
			size_t drop = (size_t)(p - released) & ~(page - 1);

			madvise((void *)released, drop, MADV_DONTNEED);
			released += drop;
		}

		if (!k) {
			ret = -EBADMSG;
			break;
		}
		q = p + k;
		switch (key & 7) {
		case PROTOBUF_C_WIRE_TYPE_VARINT:
			k = get_varint(q, end, &n);
			if (!k) {
				ret = -EBADMSG;
				break;
			}
			q += k;
			break;
		case PROTOBUF_C_WIRE_TYPE_64BIT:
		case PROTOBUF_C_WIRE_TYPE_32BIT:
			n = (key & 7) == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
			if ((size_t)(end - q) < n) {
				ret = -EBADMSG;
				break;
			}
			q += n;
			break;
		case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
			k = get_varint(q, end, &n);
			if (!k || n > (uint64_t)(end - q - k)) {
				ret = -EBADMSG;
				break;
			}
			q += k;
			if (key == ((1 << 3) | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)) {
				Packet *pk;

				arena_reset(&r.ar);
				pk = perfetto__protos__trace_packet__unpack(&alloc, (size_t)n, q);
				if (!pk) {
					ret = r.ar.oom ? -ENOMEM : -EBADMSG;
					break;
				}
				ret = do_packet(&r, pk);
				/* its memory goes with the next arena_reset() */
			}
			/* other Trace fields do not exist upstream: skipped */
			q += n;
			break;
		default:
			ret = -EBADMSG;
			break;
		}
		if (ret < 0)
			break;
		p = q;
	}
	r.st.bytes = (uint64_t)(p - (const uint8_t *)buf);
	if (stats)
		*stats = r.st;
	while (r.ar.extra) {
		struct arena_extra *x = r.ar.extra;

		r.ar.extra = x->next;
		free(x);
	}
	free(r.ar.base);
	free(r.sb.s);
	free(r.cpus);
	free(r.frames);
	free(r.args);
	tracks_free(&r);
	seqs_free(&r);
	return ret;
}

int prd_read_buffer(const void *buf, size_t len, const struct prd_callbacks *cb, void *ctx,
		    struct prd_stats *stats)
{
	return read_buffer(buf, len, cb, ctx, stats, false);
}

int prd_read_file(const char *path, const struct prd_callbacks *cb, void *ctx,
		  struct prd_stats *stats)
{
	struct stat st;
	void *map = MAP_FAILED;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if (!st.st_size) {
			ret = prd_read_buffer("", 0, cb, ctx, stats);
			goto out;
		}
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
			ret = read_buffer(map, (size_t)st.st_size, cb, ctx, stats, true);
			munmap(map, (size_t)st.st_size);
			goto out;
		}
	}
	/* a pipe or a file that cannot be mapped: read it all */
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 1 << 20);

			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 1 << 20;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	ret = prd_read_buffer(buf ? buf : "", len, cb, ctx, stats);
out:
	free(buf);
	close(fd);
	return ret;
}
