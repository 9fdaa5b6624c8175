# bash completion for pftrace: commands, each command's options (from its --help),
# tracepoint names for -e (from tracefs), filter fields for dump/report (pftrace dump -l).
_pftrace()
{
	local cur prev cmd words opts tfs
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "record dump report plugins help --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case "$prev" in
	-e | --event)
		for tfs in /sys/kernel/tracing /sys/kernel/debug/tracing; do
			if [ -r "$tfs/available_events" ]; then
				COMPREPLY=($(compgen -W "$(cat "$tfs/available_events")" -- "$cur"))
				return
			fi
		done
		return ;;
	-o | --output | --spans | --trace-event-config | -c | --cgroup)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--section)
		COMPREPLY=($(compgen -W "cpu threads runnable dstate syscalls syscall-time slowest errors stacks spans" -- "$cur"))
		return ;;
	-g | --call-graph)
		COMPREPLY=($(compgen -W "dwarf fp none" -- "$cur"))
		return ;;
	esac
	if [[ "$cur" == -* ]]; then
		opts=$(pftrace "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case "$cmd" in
	dump | report)
		# the trace first, then filter fields
		local i n=0
		for ((i = 2; i < COMP_CWORD; i++)); do
			[[ "${COMP_WORDS[i]}" != -* ]] && n=$((n + 1))
		done
		if [ "$n" -ge 1 ]; then
			COMPREPLY=($(compgen -W "$(pftrace dump -l 2>/dev/null | awk '{ print $1 }') and or not in exists contains startswith endswith glob" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	*)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -F _pftrace pftrace
