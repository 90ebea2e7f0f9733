package extract

import (
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	page := `<!doctype html><html lang="ar" dir="rtl"><head><title>لقاء في بكين</title>
<meta property="article:published_time" content="2025-11-04T08:00:00Z"><script>var tracking = 1;</script></head>
<body><header><nav><a href="/">الرئيسية</a> <a href="/sport">رياضة</a></nav></header>
<main><article><h1>لقاء في بكين</h1>
<p>قالت وكالة أنباء الصين الجديدة شينخوا اليوم الثلاثاء إن الرئيس الصيني شي جين بينج اجتمع مع رئيس الوزراء الروسي ميخائيل ميشوستين في بكين.</p>
<p>ويأتي ذلك بعد يوم من لقاء رئيس مجلس الدولة الصيني لي تشيانج مع ميشوستين في مدينة هانجتشو، إذ قال إن الصين تريد تعزيز التعاون مع روسيا.</p>
<p>وكان بوتين قد وقع مع الرئيس الصيني اتفاقية شراكة بلا حدود في فبراير 2022، قبيل الحرب في أوكرانيا، وفق ما ذكرته الوكالة.</p>
</article></main><aside>الأكثر قراءة: خبر آخر تماما</aside><footer>جميع الحقوق محفوظة 2025</footer></body></html>`
	doc, err := HTML([]byte(page), nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "لقاء في بكين" || doc.Published.Year() != 2025 {
		t.Errorf("title %q, published %v", doc.Title, doc.Published)
	}
	for _, junk := range []string{"tracking", "رياضة", "الأكثر قراءة", "الحقوق"} {
		if strings.Contains(doc.Text, junk) {
			t.Errorf("page furniture kept: %q", junk)
		}
	}
	if paras := strings.Count(doc.Text, "\n\n"); paras < 2 || !strings.Contains(doc.Text, "2022") {
		t.Errorf("paragraphs lost:\n%s", doc.Text)
	}
}

func TestFragment(t *testing.T) {
	doc, err := HTML([]byte(`<p>الفقرة الأولى.</p><p>الفقرة <b>الثانية</b>.<br>سطر ثالث</p>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Text != "الفقرة الأولى.\n\nالفقرة الثانية.\nسطر ثالث" {
		t.Errorf("got %q", doc.Text)
	}
}

func TestNoText(t *testing.T) {
	for _, s := range []string{"", "<script>x()</script>", "<html><body>  </body></html>"} {
		if _, err := HTML([]byte(s), nil); err != ErrNoText {
			t.Errorf("%q: err = %v", s, err)
		}
	}
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<html><body><article><p>x</p></article></body></html>", "<<>>", "<table><tr><td>1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := HTML([]byte(s), nil)
		if err == nil && strings.TrimSpace(doc.Text) == "" {
			t.Fatal("empty text without ErrNoText")
		}
	})
}
