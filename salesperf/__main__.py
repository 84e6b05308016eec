from salesperf.cli import main

main()
