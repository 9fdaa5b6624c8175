// SPDX-License-Identifier: MIT
/*
 * core/cmd_record: `pftrace record`.  Validates everything that can be
 * validated before creating the output, then opens the events, writes the
 * header packets, releases the command (if any) and drains the rings until
 * the duration ends, the target exits, a signal arrives or the disk fills.
 */
#include "config.h"
#include "core/cmds.h"
#include "core/options.h"
#include "core/output.h"
#include "core/session.h"
#include "core/target.h"
#include "core/tracefs.h"
#include "core/util.h"
#include "perfmmap/perfmmap.h"
#include "proto/writer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define TICK_MS 200	/* housekeeping period: target liveness, /proc reads */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t got_sigchld;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void on_sigchld(int sig)
{
	(void)sig;
	got_sigchld = 1;
}

/* CapEff bit test from /proc/self/status. */
static int has_cap(int cap)
{
	char buf[4096], *p;
	unsigned long long caps;

	if (pft_read_file("/proc/self/status", buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "CapEff:");
	if (!p || sscanf(p + 7, "%llx", &caps) != 1)
		return 0;
	return (caps >> cap) & 1;
}

static int check_privileges(void)
{
	char buf[32];
	long paranoid = 2;

	if (geteuid() == 0 || has_cap(38 /* CAP_PERFMON */) || has_cap(21 /* CAP_SYS_ADMIN */))
		return 0;
	if (pft_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0)
		pft_parse_long(strtok(buf, "\n"), &paranoid);
	if (paranoid <= -1)
		return 0;	/* allowed; tracefs permissions decide the rest */
	pft_error("recording needs root or CAP_PERFMON: kernel.perf_event_paranoid is %ld, which "
		  "keeps unprivileged users from system-wide tracepoints", paranoid);
	pft_hint("run it with sudo, give the binary CAP_PERFMON (setcap cap_perfmon+ep), or "
		 "sysctl kernel.perf_event_paranoid=-1 (and make tracefs readable)");
	return -EPERM;
}

static void install_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Signals are only delivered inside ppoll(), so no wakeup is lost
	 * between checking the flags and going to sleep. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGHUP);
	sigdelset(waitmask, SIGCHLD);
}

enum stop_reason { STOP_NONE, STOP_DURATION, STOP_SIGNAL, STOP_TARGET, STOP_WRITE_ERROR };

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	struct target t;
	struct output out = { NULL, -1, 0 };
	struct pw_writer *w = NULL;
	struct session *s = NULL;
	enum stop_reason why = STOP_NONE;
	sigset_t waitmask;
	uint64_t deadline = 0;
	int ret, status = 1, started = 0, owned = 0;

	ret = record_opts_parse(&o, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 2;
	memset(&t, 0, sizeof(t));
	t.go_fd = t.err_fd = t.st.cgroup_fd = -1;

	if (check_privileges())
		return 1;
	install_signals(&waitmask);
	if (target_check(&t, &o))
		goto out;
	if (!tracefs_dir())
		goto out;
	if (output_open(&out, o.output))
		goto out;
	w = pw_writer__new(out.fd, pm_cpu_count());
	if (!w) {
		pft_error("cannot set up the trace writer: %s", strerror(errno));
		goto out;
	}
	/* the writer owns out.fd now (output_begin still uses it); it writes
	 * nothing before session__start */
	owned = 1;
	s = session__new(&o, w);
	if (!s) {
		pft_error("cannot set up the session: %s", strerror(errno));
		goto out;
	}
	if (session__add_sources(s))
		goto out;
	if (target_prepare(&t, &o))
		goto out;
	if (session__open(s, &t.st))
		goto out;
	/* the command was forked already: only the reader gets the boost */
	if (o.nice && geteuid() == 0 && setpriority(PRIO_PROCESS, 0, o.nice))
		pft_debug("cannot set nice %d: %s", o.nice, strerror(errno));
	if (output_begin(&out))
		goto out;
	if (session__start(s))
		goto write_error;
	started = 1;
	if (target_go(&t, &o)) {
		started = 0;	/* nothing of the command ran: no trace */
		goto out;
	}
	if (o.duration_ns)
		deadline = pft_clock_ns(CLOCK_MONOTONIC) + o.duration_ns;
	if (o.cmd)
		pft_info("recording %s (pid %d) into %s; Ctrl-C to stop", o.cmd[0], (int)t.child,
			 o.output);
	else
		pft_info("recording into %s%s", o.output,
			 o.duration_ns ? "" : "; Ctrl-C to stop");

	while (why == STOP_NONE) {
		int timeout = TICK_MS;

		if (deadline) {
			uint64_t now = pft_clock_ns(CLOCK_MONOTONIC);

			if (now >= deadline) {
				why = STOP_DURATION;
				break;
			}
			if ((deadline - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((deadline - now + 999999) / 1000000);
		}
		/* while the rings fill fast, keep draining instead of sleeping
		 * until the next watermark wakeup: a wakeup on a busy machine can
		 * come long after the ring started to fill */
		session__wait(s, session__busy(s) ? 0 : timeout, &waitmask);
		session__drain(s);
		if (stop_signal)
			why = STOP_SIGNAL;
		else if (pw_writer__error(w))
			why = STOP_WRITE_ERROR;
		else if ((got_sigchld || o.npids) && !target_alive(&t, &o))
			why = STOP_TARGET;
		got_sigchld = 0;
	}
	if (why == STOP_SIGNAL && t.child && !t.child_exited && stop_signal != SIGINT)
		kill(t.child, SIGTERM);	/* Ctrl-C already reached it through the terminal */
	if (why == STOP_DURATION && t.child && target_alive(&t, &o))
		pft_info("%s is still running after -d %g: it gets SIGTERM when the trace is "
			 "written", o.cmd[0], (double)o.duration_ns / 1e9);

write_error:
	session__stop(s);
	if (why == STOP_TARGET && t.child && !pft_quiet) {
		if (WIFEXITED(t.child_status) && WEXITSTATUS(t.child_status))
			pft_info("%s exited with status %d", o.cmd[0], WEXITSTATUS(t.child_status));
		else if (WIFSIGNALED(t.child_status))
			pft_info("%s was killed by signal %d", o.cmd[0], WTERMSIG(t.child_status));
	} else if (why == STOP_TARGET && !pft_quiet) {
		pft_info("the target exited; recording stopped");
	}
	ret = pw_writer__error(w);
	{
		uint64_t bytes = pw_writer__bytes(w), dropped = pw_writer__dropped_events(w);
		int cerr = pw_writer__close(w);

		w = NULL;
		if (!ret)
			ret = cerr;
		session__summary(s, bytes);
		if (ret == -ENOSPC || ret == -EFBIG || ret == -EDQUOT) {
			pft_error("%s: %s: recording stopped; the trace keeps what was written "
				  "before (%llu bytes), %llu events were not written", o.output,
				  strerror(-ret), (unsigned long long)bytes,
				  (unsigned long long)dropped);
		} else if (ret) {
			pft_error("writing %s failed: %s; %llu events were not written", o.output,
				  strerror(-ret), (unsigned long long)dropped);
		}
	}
	status = ret ? 1 : 0;
out:
	target_fini(&t);
	if (!started) {
		/* nothing was recorded: leave no file behind (a file that was
		 * there before was not truncated) */
		if (w)
			pw_writer__close(w);
		else if (out.fd >= 0 && !owned)
			close(out.fd);
		if (out.created)
			unlink(o.output);
	}
	session__free(s);
	return status;
}
