from mediaparser.cli import main

raise SystemExit(main())
