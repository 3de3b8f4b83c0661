from mcpharden.cli import main

raise SystemExit(main())
