/* SPDX-License-Identifier: MIT */
/*
 * core/src_sched: scheduling and task lifetime events.
 *
 * sched_switch is opened on all tasks even in filtered recordings: it fires
 * in the context of the task switching *out*, so a per-task event would never
 * see the target switching in.  Its handler keeps the switches that involve
 * a task in scope.  sched_waking/wakeup_new run in the waker's context
 * (an interrupt, another task) and the kernel does not hand them to the
 * wakee's per-task events, so they are opened on all tasks too and kept when
 * the waker or the wakee is in scope; likewise sched_process_free and
 * sched_migrate_task, which run in another task's context.  task_newtask extends the scope to
 * children.
 */
#include "config.h"
#include "core/proc.h"
#include "core/session.h"
#include "core/source.h"
#include "proto/writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CLONE_THREAD_FLAG 0x00010000

/* Field tables: one array per tracepoint, indexed by these names. */
enum {
	SW_PREV_COMM,
	SW_PREV_PID,
	SW_PREV_PRIO,
	SW_PREV_STATE,
	SW_NEXT_COMM,
	SW_NEXT_PID,
	SW_NEXT_PRIO,
	SW_N
};
enum { WK_COMM, WK_PID, WK_PRIO, WK_N };
enum { FK_PARENT_COMM, FK_PARENT_PID, FK_CHILD_COMM, FK_CHILD_PID, FK_N };
enum { EX_FILENAME, EX_PID, EX_OLD_PID, EX_N };
enum { CP_COMM, CP_PID, CP_PRIO, CP_N };
enum { MG_COMM, MG_PID, MG_PRIO, MG_ORIG_CPU, MG_DEST_CPU, MG_N };
enum { NT_PID, NT_COMM, NT_CLONE_FLAGS, NT_N };
enum { RN_PID, RN_OLDCOMM, RN_NEWCOMM, RN_N };

struct f_wake {
	struct pft_field f[WK_N], target_cpu;
	int has_target;
};

struct sched_src {
	struct pft_host *h;
	const struct pft_host_ops *ops;
	struct pw_writer *w;
	struct proc_state *procs;
	int filtered;
	struct pft_field sw[SW_N];
	struct f_wake waking, wakeup_new;
	struct pft_field fork[FK_N];
	struct pft_field exec[EX_N];
	struct pft_field exit[CP_N], free_[CP_N];
	int has_exit_tgid;
	struct pft_field exit_tgid;
	struct pft_field migrate[MG_N];
	struct pft_field newtask[NT_N], newtask_oom;
	int newtask_has_oom;
	struct pft_field rename[RN_N], rename_oom;
	int rename_has_oom;
};

#define COMM(f, r, buf) pft_field_str(&(f), (r)->raw, (r)->raw_size, buf, sizeof(buf))
#define I32(f, r) ((int32_t)pft_field_s64(&(f), (r)->raw))
#define EV(r)                                                                                      \
	{                                                                                          \
		(r)->ts, (r)->cpu, (r)->tid                                                        \
	}

static int on_switch(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char pc[32], nc[32];
	int32_t prev_pid = I32(s->sw[SW_PREV_PID], r), next_pid = I32(s->sw[SW_NEXT_PID], r);
	struct pw_ev e = EV(r);

	if (s->filtered && !s->ops->in_scope(s->h, 0, (uint32_t)prev_pid) &&
	    !s->ops->in_scope(s->h, 0, (uint32_t)next_pid))
		return 0;
	pw_ftrace_sched_switch(
		s->w, &e, COMM(s->sw[SW_PREV_COMM], r, pc), prev_pid, I32(s->sw[SW_PREV_PRIO], r),
		pft_field_s64(&s->sw[SW_PREV_STATE], r->raw), COMM(s->sw[SW_NEXT_COMM], r, nc),
		next_pid, I32(s->sw[SW_NEXT_PRIO], r));
	return 1;
}

static int wake(struct sched_src *s, const struct f_wake *f, const struct pft_record *r, int is_new)
{
	char c[32];
	int32_t pid = I32(f->f[WK_PID], r);
	int32_t cpu = f->has_target ? I32(f->target_cpu, r) : (int32_t)r->cpu;
	struct pw_ev e = EV(r);

	if (s->filtered && !s->ops->in_scope(s->h, r->pid, r->tid) &&
	    !s->ops->in_scope(s->h, 0, (uint32_t)pid))
		return 0;
	if (is_new)
		pw_ftrace_sched_wakeup_new(s->w, &e, COMM(f->f[WK_COMM], r, c), pid,
					   I32(f->f[WK_PRIO], r), cpu);
	else
		pw_ftrace_sched_waking(s->w, &e, COMM(f->f[WK_COMM], r, c), pid,
				       I32(f->f[WK_PRIO], r), cpu);
	return 1;
}

static int on_waking(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;

	return wake(s, &s->waking, r, 0);
}

static int on_wakeup_new(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;

	return wake(s, &s->wakeup_new, r, 1);
}

static int on_fork(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char pc[32], cc[32];
	struct pw_ev e = EV(r);

	pw_ftrace_sched_process_fork(
		s->w, &e, COMM(s->fork[FK_PARENT_COMM], r, pc), I32(s->fork[FK_PARENT_PID], r),
		COMM(s->fork[FK_CHILD_COMM], r, cc), I32(s->fork[FK_CHILD_PID], r));
	return 1;
}

static int on_exec(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char fn[256];
	int32_t pid = I32(s->exec[EX_PID], r);
	struct pw_ev e = EV(r);

	pft_field_str(&s->exec[EX_FILENAME], r->raw, r->raw_size, fn, sizeof(fn));
	pw_ftrace_sched_process_exec(s->w, &e, fn, pid, I32(s->exec[EX_OLD_PID], r));
	proc_state__exec(s->procs, r->ts, (int32_t)r->pid, fn);
	return 1;
}

static int on_process_exit(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char c[32];
	int32_t tgid = s->has_exit_tgid ? I32(s->exit_tgid, r) : (int32_t)r->pid;
	struct pw_ev e = EV(r);

	pw_ftrace_sched_process_exit(s->w, &e, COMM(s->exit[CP_COMM], r, c),
				     I32(s->exit[CP_PID], r), tgid, I32(s->exit[CP_PRIO], r));
	return 1;
}

static int on_free(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char c[32];
	int32_t pid = I32(s->free_[CP_PID], r);
	struct pw_ev e = EV(r);

	if (s->filtered && !s->ops->in_scope(s->h, 0, (uint32_t)pid))
		return 0;
	pw_ftrace_sched_process_free(s->w, &e, COMM(s->free_[CP_COMM], r, c), pid,
				     I32(s->free_[CP_PRIO], r));
	return 1;
}

static int on_migrate(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char c[32];
	int32_t pid = I32(s->migrate[MG_PID], r);
	struct pw_ev e = EV(r);

	if (s->filtered && !s->ops->in_scope(s->h, 0, (uint32_t)pid))
		return 0;
	pw_ftrace_sched_migrate_task(s->w, &e, COMM(s->migrate[MG_COMM], r, c), pid,
				     I32(s->migrate[MG_PRIO], r), I32(s->migrate[MG_ORIG_CPU], r),
				     I32(s->migrate[MG_DEST_CPU], r));
	return 1;
}

static int on_newtask(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char c[32];
	int32_t pid = I32(s->newtask[NT_PID], r);
	uint64_t flags = pft_field_u64(&s->newtask[NT_CLONE_FLAGS], r->raw);
	int32_t oom = s->newtask_has_oom ? I32(s->newtask_oom, r) : 0;
	struct pw_ev e = EV(r);

	COMM(s->newtask[NT_COMM], r, c);
	pw_ftrace_task_newtask(s->w, &e, pid, c, flags, oom);
	if (s->filtered)
		session__scope_add(s->h, (uint32_t)pid);
	proc_state__new_task(s->procs, r->ts, pid, (int32_t)r->pid,
			     (flags & CLONE_THREAD_FLAG) != 0, c);
	return 1;
}

static int on_rename(void *priv, const struct pft_record *r)
{
	struct sched_src *s = priv;
	char oc[32], nc[32];
	int32_t oom = s->rename_has_oom ? I32(s->rename_oom, r) : 0;
	struct pw_ev e = EV(r);

	pw_ftrace_task_rename(s->w, &e, I32(s->rename[RN_PID], r),
			      COMM(s->rename[RN_OLDCOMM], r, oc),
			      COMM(s->rename[RN_NEWCOMM], r, nc), oom);
	return 1;
}

#define SUB(sys, name, fl, fn) s->ops->tracepoint(h, sys, name, PFT_EV_OPTIONAL | (fl), fn, s)
#define NAMES(...) ((const char *const[]){__VA_ARGS__})

static int sched_init(struct pft_host *h, const struct pft_host_ops *ops, void **priv)
{
	struct sched_src *s = calloc(1, sizeof(*s));
	struct pft_event *tp;

	if (!s)
		return -ENOMEM;
	*priv = s;
	s->h = h;
	s->ops = ops;
	s->w = session__writer(h);
	s->procs = session__procs(h);
	s->filtered = session__filtered(h);

	/* Each tracepoint: subscribe, then locate its fields; one whose format
	 * lacks a field we rely on is dropped rather than misdecoded. */
	tp = SUB("sched", "sched_switch", PFT_EV_ALL_TASKS, on_switch);
	ops->fields(tp,
		    NAMES("prev_comm", "prev_pid", "prev_prio", "prev_state", "next_comm",
			  "next_pid", "next_prio"),
		    s->sw, SW_N);
	tp = SUB("sched", "sched_waking", PFT_EV_ALL_TASKS, on_waking);
	if (!ops->fields(tp, NAMES("comm", "pid", "prio"), s->waking.f, WK_N))
		s->waking.has_target = !ops->field(tp, "target_cpu", &s->waking.target_cpu);
	tp = SUB("sched", "sched_wakeup_new", PFT_EV_ALL_TASKS, on_wakeup_new);
	if (!ops->fields(tp, NAMES("comm", "pid", "prio"), s->wakeup_new.f, WK_N))
		s->wakeup_new.has_target = !ops->field(tp, "target_cpu", &s->wakeup_new.target_cpu);
	tp = SUB("sched", "sched_process_fork", 0, on_fork);
	ops->fields(tp, NAMES("parent_comm", "parent_pid", "child_comm", "child_pid"), s->fork,
		    FK_N);
	tp = SUB("sched", "sched_process_exec", 0, on_exec);
	ops->fields(tp, NAMES("filename", "pid", "old_pid"), s->exec, EX_N);
	tp = SUB("sched", "sched_process_exit", 0, on_process_exit);
	if (!ops->fields(tp, NAMES("comm", "pid", "prio"), s->exit, CP_N))
		s->has_exit_tgid = !ops->field(tp, "tgid", &s->exit_tgid);
	tp = SUB("sched", "sched_process_free", PFT_EV_ALL_TASKS, on_free);
	ops->fields(tp, NAMES("comm", "pid", "prio"), s->free_, CP_N);
	tp = SUB("sched", "sched_migrate_task", PFT_EV_ALL_TASKS, on_migrate);
	ops->fields(tp, NAMES("comm", "pid", "prio", "orig_cpu", "dest_cpu"), s->migrate, MG_N);
	tp = SUB("task", "task_newtask", 0, on_newtask);
	if (!ops->fields(tp, NAMES("pid", "comm", "clone_flags"), s->newtask, NT_N))
		s->newtask_has_oom = !ops->field(tp, "oom_score_adj", &s->newtask_oom);
	tp = SUB("task", "task_rename", 0, on_rename);
	if (!ops->fields(tp, NAMES("pid", "oldcomm", "newcomm"), s->rename, RN_N))
		s->rename_has_oom = !ops->field(tp, "oom_score_adj", &s->rename_oom);
	return 0;
}

static void sched_fini(void *priv)
{
	free(priv);
}

const struct pft_source_ops src_sched_ops = {
	.abi_version = PFT_ABI_VERSION,
	.name = "sched",
	.description = "scheduling (switch, waking, migration) and task lifetime (fork, exec, "
		       "exit, rename)",
	.init = sched_init,
	.fini = sched_fini,
};
