from kehu.cli import main

main()
