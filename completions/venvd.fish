# venvd.fish: fish completion for venvd(1).
#
# Each command is one line of the spec below: name, what follows it
# (options, then positional arguments in order: <shell> = bash zsh fish,
# <xshell> = those and json, <dir> = a directory) and a description,
# separated by "|". Internal options (export --hook) are not offered.
# exec is completed by __venvd_comp_exec: its options, -C's directory,
# then a command and that command's own arguments.

set -g __venvd_comp_spec \
	'hook|<shell>|Print the shell code to add to your rc file' \
	'export|<xshell> <dir>|Print what takes the environment to a directory\'s venv' \
	'exec|-C --require|Run a command with the venv the hook gives a directory' \
	'resolve|--json <dir>|Show which venv applies to a directory' \
	'status|--json|Show the daemon\'s state' \
	'start||Start the daemon' \
	'stop||Stop the daemon' \
	'restart||Restart the daemon' \
	'list|--json --broken --stale --sort|List the indexed venvs' \
	'forget|<dir>|Drop a venv from the index (files stay)' \
	'gc|--stale --dry-run --yes|Delete venvs unused for DAYS' \
	'roots|--json|List the discovery roots' \
	'watch|--depth --cross-fs <dir>|Add a discovery root' \
	'unwatch|<dir>|Remove a discovery root' \
	'doctor||Check the setup and suggest fixes' \
	'allow|<dir>|Trust the venv of a directory so the hook activates it' \
	'deny|<dir>|Never activate the venv of a directory' \
	'trust|--json|List the allow and deny decisions'

# Print the command names of the spec.
function __venvd_comp_commands
	for line in $__venvd_comp_spec
		string split -f1 '|' -- $line
	end
end

# Print the argument kinds and options the spec gives command $argv[1].
function __venvd_comp_args
	for line in $__venvd_comp_spec
		set -l f (string split '|' -- $line)
		if test "$f[1]" = "$argv[1]"
			string split -n ' ' -- $f[2]
			return
		end
	end
end

# Complete "venvd exec [-C DIR] [--require] [--] CMD [ARGS]": $argv
# are the words after exec, before the one being completed.
function __venvd_comp_exec
	set -l cur (commandline -ct)
	set -l i 1
	set -l n (count $argv)
	while test $i -le $n
		switch $argv[$i]
			case --
				set i (math $i + 1)
				break
			case -C
				set i (math $i + 2)
			case '-*'
				set i (math $i + 1)
			case '*'
				break
		end
	end
	if test $i -gt (math $n + 1)
		__fish_complete_directories $cur
		return
	end
	if test $i -gt $n; and string match -q -- '-*' $cur
		if test $n -eq 0; or test "$argv[$n]" != --
			printf '%s\n' -C --require -h --help
			return
		end
	end
	set -l rest
	if test $i -le $n
		set rest (string escape -- $argv[$i..-1])
	end
	complete -C (string join ' ' -- $rest $cur)
end

# Complete the current venvd command line.
function __venvd_comp
	set -l words (commandline -opc)
	set -l cur (commandline -ct)
	set -l cmd
	set -l npos 0
	set -l k 1
	for w in $words[2..-1]
		set k (math $k + 1)
		if test -z "$cmd"
			string match -q -- '-*' $w; or set cmd $w
			if test "$cmd" = exec
				__venvd_comp_exec $words[(math $k + 1)..-1]
				return
			end
		else if not string match -q -- '-*' $w
			set npos (math $npos + 1)
		end
	end

	if test -z "$cmd"
		if string match -q -- '-*' $cur
			printf '%s\t%s\n' -h 'Show usage' --help 'Show usage' \
				-V 'Show the version' --version 'Show the version'
			return
		end
		for line in $__venvd_comp_spec
			set -l f (string split '|' -- $line)
			printf '%s\t%s\n' $f[1] $f[3]
		end
		return
	end

	set -l kinds
	set -l opts
	for w in (__venvd_comp_args $cmd)
		if string match -q -- '-*' $w
			set -a opts $w
		else
			set -a kinds $w
		end
	end
	if string match -q -- '-*' $cur
		printf '%s\n' $opts -h --help
		return
	end
	set -l idx (math $npos + 1)
	set -q kinds[$idx]; or return
	switch $kinds[$idx]
		case '<shell>'
			printf '%s\n' bash zsh fish
		case '<xshell>'
			printf '%s\n' bash zsh fish json
		case '<dir>'
			__fish_complete_directories $cur
	end
end

complete -c venvd -f -a '(__venvd_comp)'
