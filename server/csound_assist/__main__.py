from csound_assist.cli import main

main()
