package dev.dataselect.pipelines.options;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Lets Beam parse this project's enum-typed options as people write them: {@code --sampler=density} or {@code
 * --outputFormat=Parquet} for {@code DENSITY} and {@code PARQUET}, '-' for '_'; anything else fails
 * with the values it could have been. Beam's {@code PipelineOptionsFactory} parses option values
 * with a Jackson mapper that registers the modules on the class path ({@code
 * ObjectMapper.findModules}), which finds this one through {@code META-INF/services}.
 */
public final class CaseInsensitiveEnums extends SimpleModule {
  private static final long serialVersionUID = 1L;

  public CaseInsensitiveEnums() {
    super("dataselect-case-insensitive-enums");
    setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public JsonDeserializer<?> modifyEnumDeserializer(
          DeserializationConfig config, JavaType type, BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
        // Only this project's enums: every other keeps Jackson's own reading (its annotations, indexes).
        return type.getRawClass().getName().startsWith("dev.dataselect.") ? new Lenient(type.getRawClass()) : deserializer;
      }
    });
  }

  /** The constant of {@code type} that {@code text} names, ignoring case and reading '-' as '_'. */
  public static <E extends Enum<E>> E parse(Class<E> type, String text) {
    return type.cast(find(type, text));
  }

  /** The constant of the enum {@code type} that {@code text} names; else why not, naming the values. */
  public static Enum<?> find(Class<?> type, String text) {
    String wanted = text.trim().replace('-', '_');
    for (Object c : type.getEnumConstants()) {
      Enum<?> e = (Enum<?>) c;
      if (e.name().equalsIgnoreCase(wanted)) {
        return e;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not one of "
        + Arrays.stream(type.getEnumConstants()).map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).toList());
  }

  private static final class Lenient extends JsonDeserializer<Enum<?>> {
    private final Class<?> type;

    Lenient(Class<?> type) {
      this.type = type;
    }

    @Override
    public Enum<?> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      if (text == null) {
        return (Enum<?>) ctxt.handleUnexpectedToken(type, p);
      }
      try {
        return find(type, text);
      } catch (IllegalArgumentException e) {
        return (Enum<?>) ctxt.handleWeirdStringValue(type, text, e.getMessage());
      }
    }
  }
}
