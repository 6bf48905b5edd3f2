from promo_core.cli import main

raise SystemExit(main())
