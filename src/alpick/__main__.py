from alpick.cli.main import main

main()
