/tmp/ir.sh: line 7: 11: Bad file descriptor
