package pipe_test

func childSend(args []string) int { return 0 }
